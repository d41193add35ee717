// The bar above every step of a visit (#visit-bar): 上一步 (#visit-back),
// the step bar showing where the clerk is (#stepbar; the current item has
// class "now" and aria-current="step"), and 取消登记 (#visit-cancel).
// It lives outside <main id="screen">, so screens never redraw it; the
// driver repaints it after each move. Hidden on the scan screen and when
// no visit is in progress; back and cancel are hidden once the visit is
// being submitted or recorded.

import { button, h } from "./dom.js";
import { T } from "./i18n.js";

/** Step-bar items: sign:* are one item, "submit" belongs to the result. */
const LABELS = {
  scan: () => T("扫码", "Scan"),
  report: () => T("报备信息", "Report"),
  phone: () => T("手机号", "Phone"),
  provisional: () => T("初判", "Pre-check"),
  "live-report": () => T("有效报备", "Live report"),
  name: () => T("姓名", "Name"),
  questions: () => T("问询", "Questions"),
  sales: () => T("置业顾问", "Sales"),
  sign: () => T("签字", "Signatures"),
  verdict: () => T("结果", "Result"),
};

export function stepGroup(step) {
  if (!step) return null;
  if (step.startsWith("sign:")) return "sign";
  if (step === "submit" || step === "error") return "verdict";
  return step;
}

/** Creates the bar before <main id="screen">; returns its paint(). */
export function createVisitBar(flow) {
  const back = button(T("上一步", "Back"), () => flow.back(), "secondary bar-back", "visit-back");
  const cancel = button(T("取消登记", "Cancel visit"), () => flow.cancel(), "secondary bar-cancel", "visit-cancel");
  const list = h("ol", { class: "stepbar", id: "stepbar" });
  // Said when the scanner reads a code in the middle of a visit (main.js).
  const busy = h("p", { class: "banner warn scanner-busy", id: "scanner-busy", hidden: "", role: "status" });
  const bar = h(
    "nav",
    { class: "visit-bar", id: "visit-bar", hidden: "", "aria-label": T("登记步骤", "Visit steps") },
    back,
    list,
    cancel,
    busy
  );
  const screen = document.getElementById("screen");
  screen.parentNode.insertBefore(bar, screen);

  return function paint() {
    const step = flow.step;
    busy.hidden = true;
    if (!flow.visit || step === "scan") {
      bar.hidden = true;
      return;
    }
    bar.hidden = false;
    const groups = [];
    for (const s of flow.steps()) {
      const g = stepGroup(s);
      if (flow.applies(s) && !groups.includes(g)) groups.push(g);
    }
    const now = stepGroup(step);
    const at = groups.indexOf(now);
    list.innerHTML = "";
    groups.forEach((g, i) => {
      const state = i < at ? "done" : i === at ? "now" : "todo";
      const label = LABELS[g] ? LABELS[g]() : g;
      list.appendChild(
        h("li", { class: state, "data-step": g, "aria-current": state === "now" ? "step" : null }, label)
      );
    });
    const settled = step === "submit" || step === "verdict";
    back.hidden = settled || step === "error";
    cancel.hidden = settled;
  };
}
