// Small DOM helpers. One screen is shown at a time in <main id="screen">;
// a screen registers what must be undone when it is replaced (camera,
// listeners, timers) with onLeave(), AFTER its own show() call.

import { T } from "./i18n.js";

let leaving = [];

/** h("p", { class: "msg", id: "x", on: { click: fn } }, "text", child, …) */
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  const a = attrs || {};
  for (const k of Object.keys(a)) {
    if (k === "on") {
      for (const ev of Object.keys(a.on)) el.addEventListener(ev, a.on[ev]);
    } else if (k === "class") {
      el.className = a[k];
    } else if (a[k] !== false && a[k] != null) {
      el.setAttribute(k, a[k]);
    }
  }
  for (const kid of kids) {
    if (kid == null || kid === false) continue;
    el.appendChild(typeof kid === "string" || typeof kid === "number" ? document.createTextNode(String(kid)) : kid);
  }
  return el;
}

export function button(label, onClick, cls, id) {
  return h("button", { type: "button", class: cls || "", id: id || null, on: { click: onClick } }, label);
}

/** Runs `fn` when the screen now shown is replaced by the next show(). */
export function onLeave(fn) {
  leaving.push(fn);
}

/** Replaces the screen: first undoes the previous one (see onLeave). */
export function show(...els) {
  const undo = leaving;
  leaving = [];
  for (const fn of undo) {
    try {
      fn();
    } catch (e) {
      console.error(e);
    }
  }
  const screen = document.getElementById("screen");
  screen.innerHTML = "";
  for (const el of els) if (el) screen.appendChild(el);
}

/**
 * Says in `msg` (a <p>) why a request failed. When the server could not be
 * reached (e.offline) a 重试 button (#net-retry) is added that calls
 * `retry`; what is on screen stays as it is.
 */
export function trouble(msg, e, retry) {
  msg.textContent = "";
  msg.classList.add("bad");
  msg.appendChild(document.createTextNode((e && e.message) || String(e)));
  if (e && e.offline && retry) {
    msg.appendChild(
      button(
        T("重试", "Try again"),
        () => {
          msg.textContent = "";
          retry();
        },
        "retry",
        "net-retry"
      )
    );
  }
}
