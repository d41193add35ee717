// Step "scan": the camera, the scanner/manual-code field, the walk-in
// button. A code the server accepts starts a "reported" visit (or shows the
// existing record); a refused one goes to the red "refused" screen. The
// walk-in button first has the server record the walk-in's arrival instant
// (POST /kiosk/walk-ins), then starts a "walkIn" visit with its id.

import { post } from "../api.js";
import { startCamera } from "../camera.js";
import { button, h, onLeave, show } from "../dom.js";
import { T } from "../i18n.js";

function beep() {
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.frequency.value = 1200;
    g.gain.value = 0.15;
    o.connect(g);
    g.connect(ctx.destination);
    o.start();
    o.stop(ctx.currentTime + 0.12);
  } catch (e) {
    /* no sound is not an error */
  }
}

export function render(flow) {
  const video = h("video", { id: "camera", playsinline: "", muted: "", autoplay: "" });
  const status = h("p", { class: "msg", id: "scan-status" });
  const field = h("input", {
    id: "scan-field",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    placeholder: T("扫码枪 / 手动码(8 位)", "Scanner / manual code (8)"),
  });
  let done = false;
  let left = false;
  let walking = false; // a walk-in is being started: no code is read meanwhile
  const read = (raw) => {
    const code = (raw || "").trim();
    if (!code || done || left || walking) return;
    done = true;
    beep();
    status.textContent = T("正在核验…", "Checking…");
    post("/kiosk/scan", { code }).then(
      (r) => {
        if (left) return; // the desk moved on (walk-in, idle) meanwhile
        if (r.status === "recorded") flow.go("verdict", { result: r.outcome, existing: true });
        else flow.begin("reported", { code, scan: r });
      },
      (e) => {
        if (left) return;
        if (e.offline) {
          done = false;
          status.textContent = e.message;
          return;
        }
        flow.go("refused", e.message);
      }
    );
  };
  const walkIn = () => {
    if (walking || left) return;
    walking = true;
    status.textContent = T("正在开始登记…", "Starting…");
    post("/kiosk/walk-ins", {}).then(
      (r) => {
        if (left) return;
        flow.begin("walkIn", { walk_in_id: r.walk_in_id, walk_in_started_at: r.started_at });
      },
      (e) => {
        if (left) return;
        walking = false;
        status.textContent = e.message;
      }
    );
  };
  field.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      read(field.value);
    }
  });
  show(
    h(
      "section",
      { class: "scan" },
      h("div", { class: "cam" }, video),
      h(
        "div",
        { class: "side" },
        h("h1", {}, T("扫描报备二维码", "Scan the report code")),
        status,
        field,
        button(T("确认手动码", "Use this code"), () => read(field.value), "primary", "scan-go"),
        button(T("未报备客户登记", "Unreported walk-in"), walkIn, "secondary", "walk-in"),
        button(
          T("退出登录", "Sign out"),
          () => {
            post("/kiosk/signout", {}).then(
              () => location.reload(),
              (e) => {
                status.textContent = e.message;
              }
            );
          },
          "link"
        )
      )
    )
  );
  onLeave(() => {
    left = true;
  });
  field.focus();
  startCamera(video, read, status);
}
