// Step "scan": the camera, the scanner/manual-code field, the walk-in
// button. A code the server accepts starts a "reported" visit (or shows the
// existing record); a refused one goes to the red "refused" screen. The
// walk-in button first has the server record the walk-in's arrival instant
// (POST /kiosk/walk-ins), then starts a "walkIn" visit with its id.
//
// Codes come from the camera, from the field (#scan-field: the handheld
// scanner types into it and ends with Enter, or a manual code is typed),
// and from a scanner burst anywhere on the page (flow.onCode, see
// scanner.js; Enter may also come as a bare line feed or keyCode 13, see
// isEnter there). The field has inputmode="none": focusing it does not
// pull the soft keyboard up over the camera; 键盘输入 (#manual-keyboard)
// brings the keyboard for a manual code. The field is emptied after every
// read.
//
// `arg.notice`: one line about the visit before (#idle-notice: given up
// when nobody touched the screen).
//
// 轮排 (#rotation-open) shows the consultants' rotation board ("rotation"),
// outside any visit.

import { post } from "../api.js";
import { startCamera } from "../camera.js";
import { button, h, onLeave, show, trouble } from "../dom.js";
import { T } from "../i18n.js";
import { isEnter } from "../scanner.js";

/** How long the server's word on off hours is shown without a new one. */
const OFF_HOURS_FRESH_MS = 30 * 60 * 1000;

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

/** The off-hours line, when the server's last answer said so (or boot does). */
function offHoursLine(flow) {
  const known = flow.offHours;
  const fromBoot = typeof flow.boot.off_hours === "boolean" ? flow.boot.off_hours : null;
  const fresh = known && Date.now() - known.at < OFF_HOURS_FRESH_MS ? known.value : null;
  const off = fresh != null ? fresh : fromBoot;
  if (!off) return null;
  return h(
    "p",
    { class: "banner off-hours", id: "off-hours" },
    T(
      "当前为非判客岗工作时间：由置业顾问操作，记录将标注。",
      "Outside desk hours: the sales consultant operates the kiosk; records are flagged."
    )
  );
}

export function render(flow, arg) {
  const video = h("video", { id: "camera", playsinline: "", muted: "", autoplay: "" });
  // Instructions in the ordinary colour; only a failure turns it red (.msg.bad).
  const status = h("p", { class: "status", id: "scan-status" });
  const field = h("input", {
    id: "scan-field",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    inputmode: "none",
    enterkeyhint: "go",
    "data-scanner-field": "",
    placeholder: T("扫码枪或手动码（8 位）", "Scanner or manual code (8)"),
  });
  let done = false;
  let left = false;
  let walking = false; // a walk-in is being started: no code is read meanwhile
  const read = (raw) => {
    const code = (raw || "").trim();
    field.value = "";
    if (!code || done || left || walking) return;
    done = true;
    beep();
    status.classList.remove("bad");
    status.textContent = T("正在核验……", "Checking…");
    post("/kiosk/scan", { code }).then(
      (r) => {
        if (left) return; // the desk moved on (walk-in, idle) meanwhile
        if (r.status === "recorded") {
          flow.noteOffHours(r.outcome && r.outcome.off_hours);
          flow.go("verdict", { result: r.outcome, existing: true });
        } else {
          flow.noteOffHours(r.off_hours);
          flow.begin("reported", { code, scan: r });
        }
      },
      (e) => {
        if (left) return;
        if (e.offline) {
          done = false;
          trouble(status, e, () => read(code));
          return;
        }
        flow.go("refused", e.message);
      }
    );
  };
  const walkIn = () => {
    if (walking || left || done) return;
    walking = true;
    status.classList.remove("bad");
    status.textContent = T("正在开始登记……", "Starting…");
    post("/kiosk/walk-ins", {}).then(
      (r) => {
        if (left) return;
        flow.begin("walkIn", {
          walk_in_id: r.walk_in_id,
          walk_in_started_at: r.started_at,
          rotation: { next_sales: r.next_sales || null, sales: r.sales || [] },
        });
      },
      (e) => {
        if (left) return;
        walking = false;
        trouble(status, e, walkIn);
      }
    );
  };
  field.addEventListener("keydown", (e) => {
    if (isEnter(e)) {
      e.preventDefault();
      read(field.value);
    }
  });
  const notice = arg && arg.notice ? h("p", { class: "banner warn notice", id: "idle-notice" }, arg.notice) : null;
  show(
    h(
      "section",
      { class: "scan" },
      h("div", { class: "cam" }, video),
      h(
        "div",
        { class: "side" },
        notice,
        offHoursLine(flow),
        h("h1", {}, T("扫描报备二维码", "Scan the report code")),
        status,
        field,
        h(
          "div",
          { class: "row" },
          button(T("确认手动码", "Use this code"), () => read(field.value), "primary", "scan-go"),
          button(
            T("键盘输入", "Keyboard"),
            () => {
              field.setAttribute("inputmode", "text");
              field.blur();
              field.focus();
            },
            "secondary",
            "manual-keyboard"
          )
        ),
        // One row: the board adds no height to a screen that must fit
        // a portrait tablet.
        h(
          "div",
          { class: "row" },
          button(T("未报备客户登记", "Unreported walk-in"), walkIn, "secondary", "walk-in"),
          button(
            T("轮排", "Rotation"),
            () => {
              // Not while a code or a walk-in is on its way: that answer
              // would be dropped.
              if (done || walking || left) return;
              flow.go("rotation");
            },
            "secondary",
            "rotation-open"
          )
        ),
        button(
          T("退出登录", "Sign out"),
          () => {
            post("/kiosk/signout", {}).then(
              () => location.reload(),
              (e) => trouble(status, e)
            );
          },
          "link",
          "sign-out"
        )
      )
    )
  );
  flow.onCode = read;
  onLeave(() => {
    left = true;
    if (flow.onCode === read) flow.onCode = null;
  });
  field.focus();
  startCamera(video, read, status);
}
