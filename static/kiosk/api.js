// The server: JSON POSTs with the CSRF token. A refused request becomes an
// Error with .status and .code (from {"error":{"code","message"}}); a
// request that never reached the server has .offline = true.

import { T } from "./i18n.js";

let csrf = "";

export function setCsrf(token) {
  csrf = token || "";
}

function refusal(response, data) {
  const err = data && data.error;
  const e = new Error((err && err.message) || response.statusText);
  e.code = err && err.code;
  e.status = response.status;
  e.offline = false;
  return e;
}

function unreachable() {
  const e = new Error(
    T(
      "无法连接判客服务器:本次操作未记录任何内容。请检查网络后重试。",
      "Cannot reach the panke server: nothing was recorded. Check the network and try again."
    )
  );
  e.code = null;
  e.status = 0;
  e.offline = true;
  return e;
}

/** POSTs `body` as JSON, or as it is when `raw` (a Blob: a camera frame). */
export function post(path, body, raw) {
  const headers = { "X-CSRF-Token": csrf };
  if (!raw) headers["Content-Type"] = "application/json";
  return fetch(path, {
    method: "POST",
    headers,
    credentials: "same-origin",
    body: raw ? body : JSON.stringify(body),
  }).then(
    (r) =>
      r
        .json()
        .catch(() => ({}))
        .then((data) => {
          if (!r.ok) throw refusal(r, data);
          return data;
        }),
    () => {
      throw unreachable();
    }
  );
}

function setNet(ok) {
  const n = document.getElementById("net");
  if (!n) return;
  n.textContent = ok ? "" : T("网络已断开", "Offline");
  n.className = ok ? "net" : "net down";
}

/** The online/offline indicator in the header bar. */
export function watchNetwork() {
  window.addEventListener("online", () => setNet(true));
  window.addEventListener("offline", () => setNet(false));
  if (navigator.onLine === false) setNet(false);
}
