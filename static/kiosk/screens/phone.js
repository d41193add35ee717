// Step "phone": the customer types their own full mobile number on the
// keypad. A reported visit goes on to "provisional" (the verdict before
// anyone signs). In a flow with a "live-report" step (walk-ins), the server
// is first asked for the customer's live reports; that step is skipped
// when there is none. Coming back to this step shows the number typed.

import { h, onLeave, show, trouble } from "../dom.js";
import { T } from "../i18n.js";
import { keypad } from "../keypad.js";
import { lookUp } from "./live-report.js";

export function render(flow) {
  const visit = flow.visit;
  let digits = visit.phone || "";
  let busy = false;
  let left = false;
  const shown = h("p", { class: "phone-shown", id: "phone-shown" });
  const msg = h("p", { class: "msg", id: "phone-msg" });
  const paint = () => {
    shown.textContent = (digits.slice(0, 3) + " " + digits.slice(3, 7) + " " + digits.slice(7)).trim() || "___ ____ ____";
  };
  const ok = () => {
    if (busy) return;
    if (!/^1[3-9]\d{9}$/.test(digits)) {
      msg.textContent = T("请输入 11 位大陆手机号。", "Enter an 11-digit mainland mobile number.");
      return;
    }
    if (visit.phone !== digits) {
      // Another number: what was learnt about the old one is void.
      delete visit.provisional;
      delete visit.live_reports;
      delete visit.over_report;
    }
    visit.phone = digits;
    if (!flow.steps().includes("live-report")) {
      flow.next();
      return;
    }
    busy = true;
    msg.textContent = T("正在查询该客户的报备……", "Looking for reports of this customer…");
    lookUp(visit).then(
      () => {
        if (!left) flow.next();
      },
      (e) => {
        if (left) return;
        busy = false;
        trouble(msg, e, ok);
      }
    );
  };
  show(
    h(
      "section",
      { class: "panel narrow" },
      h("h1", {}, T("请客户输入本人手机号", "Customer: type your mobile number")),
      shown,
      msg,
      keypad(
        (d) => {
          if (!busy && digits.length < 11) {
            digits += d;
            paint();
          }
        },
        () => {
          if (busy) return;
          digits = digits.slice(0, -1);
          paint();
        },
        ok,
        T("下一步", "Next")
      )
    )
  );
  onLeave(() => {
    left = true;
  });
  paint();
}
