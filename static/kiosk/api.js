// The server: JSON POSTs (and GETs) with the CSRF token. A refused request
// becomes an Error with .status, .code and .raw (from {"error":{"code","message"}};
// .message is the page's language only, see local()); a request that never
// reached the server has .offline = true.
//
// Reachability is learnt from the requests themselves, not only from the
// browser's online/offline events (a tablet on a working Wi-Fi whose
// server is down still says "online"): a request that fails to reach the
// server marks it unreachable — the header says so and GET /health is
// tried every few seconds — and any answer from it marks it reachable.

import { T, local } from "./i18n.js";

const PING_MS = 5000;

// The version of this kiosk app: the asset version it was loaded under
// (/static/v-…/kiosk/api.js), sent with every request so the back office
// shows which tablets run an old page.
const VERSION = (import.meta.url.match(/\/static\/(v-[0-9A-Za-z]+)\//) || [])[1] || "dev";

let csrf = "";
let reachable = true;
let browserOnline = true;
let pingTimer = null;
const watchers = new Set();

export function setCsrf(token) {
  csrf = token || "";
}

/** True unless the last request (or ping) could not reach the server. */
export function serverReachable() {
  return reachable;
}

/** Calls `fn(reachable)` whenever reachability changes; returns the undo. */
export function onReachability(fn) {
  watchers.add(fn);
  return () => watchers.delete(fn);
}

function paintNet() {
  const n = document.getElementById("net");
  if (!n) return;
  const down = !reachable || !browserOnline;
  n.textContent = !browserOnline
    ? T("网络已断开", "Offline")
    : !reachable
      ? T("无法连接服务器", "Server unreachable")
      : "";
  n.className = down ? "net down" : "net";
}

function ping() {
  clearTimeout(pingTimer);
  pingTimer = null;
  if (reachable) return;
  fetch("/health", { cache: "no-store", credentials: "same-origin" }).then(
    () => mark(true),
    () => {
      pingTimer = setTimeout(ping, PING_MS);
    }
  );
}

function mark(ok) {
  if (ok === reachable) return;
  reachable = ok;
  paintNet();
  if (!ok && !pingTimer) pingTimer = setTimeout(ping, PING_MS);
  for (const fn of watchers) {
    try {
      fn(ok);
    } catch (e) {
      console.error(e);
    }
  }
}

function refusal(response, data) {
  const err = data && data.error;
  const raw = (err && err.message) || response.statusText || String(response.status);
  const e = new Error(local(raw));
  e.raw = raw;
  e.code = err && err.code;
  e.status = response.status;
  e.offline = false;
  return e;
}

function unreachable() {
  const e = new Error(
    T(
      "无法连接判客服务器，这一步没有提交成功。请检查网络后点「重试」。",
      "Cannot reach the panke server; this step was not sent. Check the network and press Try again."
    )
  );
  e.raw = e.message;
  e.code = null;
  e.status = 0;
  e.offline = true;
  return e;
}

/** POSTs `body` as JSON, or as it is when `raw` (a Blob: a camera frame). */
export function post(path, body, raw) {
  const headers = { "X-CSRF-Token": csrf, "X-Panke-Kiosk-Version": VERSION };
  if (!raw) headers["Content-Type"] = "application/json";
  return send(path, {
    method: "POST",
    headers,
    credentials: "same-origin",
    body: raw ? body : JSON.stringify(body),
  });
}

/**
 * GETs `path` (JSON). The kiosk's routes check the CSRF token on every
 * request, reads included, so it is sent here too.
 */
export function get(path) {
  return send(path, {
    method: "GET",
    headers: { "X-CSRF-Token": csrf, "X-Panke-Kiosk-Version": VERSION, Accept: "application/json" },
    credentials: "same-origin",
    cache: "no-store",
  });
}

/** One request; its answer or refusal as post() and get() describe. */
function send(path, init) {
  return fetch(path, init).then(
    (r) => {
      mark(true);
      return r
        .json()
        .catch(() => ({}))
        .then((data) => {
          if (!r.ok) throw refusal(r, data);
          return data;
        });
    },
    () => {
      mark(false);
      throw unreachable();
    }
  );
}

/** The network indicator in the header bar (browser events + requests). */
export function watchNetwork() {
  window.addEventListener("online", () => {
    browserOnline = true;
    paintNet();
    if (!reachable) ping();
  });
  window.addEventListener("offline", () => {
    browserOnline = false;
    paintNet();
  });
  if (navigator.onLine === false) browserOnline = false;
  paintNet();
}
