// Step "phone": the customer types their own mobile number on the keypad.
// In a flow with a "live-report" step (walk-ins), the server is first asked
// for the customer's live reports; that step is skipped when there is none.

import { button, h, onLeave, show } from "../dom.js";
import { T } from "../i18n.js";
import { keypad } from "../keypad.js";
import { lookUp } from "./live-report.js";

export function render(flow) {
  const visit = flow.visit;
  let digits = "";
  let busy = false;
  let left = false;
  const shown = h("p", { class: "phone-shown", id: "phone-shown" });
  const msg = h("p", { class: "msg" });
  const paint = () => {
    shown.textContent = (digits.slice(0, 3) + " " + digits.slice(3, 7) + " " + digits.slice(7)).trim() || "___ ____ ____";
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
        () => {
          if (busy) return;
          if (!/^1[3-9]\d{9}$/.test(digits)) {
            msg.textContent = T("请输入 11 位大陆手机号", "Enter an 11-digit mainland mobile number");
            return;
          }
          visit.phone = digits;
          if (!flow.steps().includes("live-report")) {
            flow.next();
            return;
          }
          busy = true;
          msg.textContent = T("正在查询该客户的报备…", "Looking for reports of this customer…");
          lookUp(visit).then(
            () => {
              if (!left) flow.next();
            },
            (e) => {
              if (left) return;
              busy = false;
              msg.textContent = e.message;
            }
          );
        },
        T("下一步", "Next")
      )
    )
  );
  onLeave(() => {
    left = true;
  });
  paint();
}
