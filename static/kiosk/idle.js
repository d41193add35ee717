// Idle: after IDLE_MS without a touch (pointer, touch or key anywhere) the
// kiosk asks whether anyone is still there. During an unfinished visit a
// full-screen countdown (#idle-countdown, COUNTDOWN_MS) with a large
// 继续 button (#idle-continue) comes first: only when it runs out is the
// visit given up (the driver cancels it and says so on the scan screen).
// Elsewhere (a verdict left on screen) the kiosk goes back to scanning
// without a countdown.
//
// The timings can be changed without a new deploy, per tablet, for tests
// or for a desk that needs longer — set in localStorage, read once at
// boot (so set them, then reload):
//   localStorage.pankeIdleMs = "45000"       // quiet time before the countdown
//   localStorage.pankeCountdownMs = "15000"  // length of the countdown
// Anything that is not a positive number is ignored (the defaults stay).

import { button, h } from "./dom.js";
import { T } from "./i18n.js";

export const IDLE_MS = 45000;
export const COUNTDOWN_MS = 15000;

/** A positive number of milliseconds from localStorage[key], else `fallback`. */
export function storedMs(key, fallback) {
  try {
    const v = Number(window.localStorage.getItem(key));
    return Number.isFinite(v) && v > 0 ? v : fallback;
  } catch (e) {
    return fallback; // storage disabled
  }
}

let config = null;
let timer = null;
let overlay = null;
let ticker = null;

/**
 * `c.idleMs`, `c.countdownMs`; `c.whenIdle()` answers what to do now:
 * "countdown" (an unfinished visit), "reset" (back to scan at once),
 * "later" (busy: ask again after another idle period) or null (nothing);
 * `c.giveUp()` runs when the countdown ran out, `c.reset()` for "reset".
 */
export function setupIdle(c) {
  config = c;
  for (const ev of ["pointerdown", "keydown", "touchstart"]) document.addEventListener(ev, touch, true);
  touch();
}

/** Someone is there: start the quiet period again (not while counting down). */
export function touch() {
  if (!config || overlay) return;
  clearTimeout(timer);
  timer = setTimeout(fire, config.idleMs);
}

/** True while the countdown is on screen. */
export function countingDown() {
  return !!overlay;
}

/** Removes the countdown, if shown (the visit goes on or is over). */
export function dismiss() {
  clearInterval(ticker);
  ticker = null;
  if (overlay) overlay.remove();
  overlay = null;
}

function fire() {
  timer = null;
  const what = config.whenIdle();
  if (what === "countdown") countdown();
  else if (what === "reset") config.reset();
  else if (what === "later") touch();
}

function countdown() {
  const ends = Date.now() + config.countdownMs;
  const seconds = h("p", { class: "idle-seconds", id: "idle-seconds" });
  const go = button(
    T("继续", "Continue"),
    () => {
      dismiss();
      touch();
    },
    "primary idle-continue",
    "idle-continue"
  );
  overlay = h(
    "div",
    { class: "idle-overlay", id: "idle-countdown", role: "alertdialog", "aria-modal": "true", "aria-labelledby": "idle-title" },
    h(
      "div",
      { class: "idle-box" },
      h("h2", { id: "idle-title" }, T("还在办理吗？", "Still there?")),
      seconds,
      h(
        "p",
        {},
        T(
          "一段时间无人操作。倒计时结束后，本次登记将被放弃，返回扫码页面。",
          "Nobody has touched the screen for a while. When the countdown ends this visit is given up."
        )
      ),
      go
    )
  );
  document.body.appendChild(overlay);
  const paint = () => {
    const left = ends - Date.now();
    seconds.textContent = String(Math.max(0, Math.ceil(left / 1000)));
    if (left <= 0) {
      dismiss();
      config.giveUp();
    }
  };
  ticker = setInterval(paint, 200);
  paint();
  go.focus();
}
