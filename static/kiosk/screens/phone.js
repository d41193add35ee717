// Step "phone": the customer types their own mobile number on the keypad.

import { button, h, show } from "../dom.js";
import { T } from "../i18n.js";
import { keypad } from "../keypad.js";

export function render(flow) {
  const visit = flow.visit;
  let digits = "";
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
          if (digits.length < 11) {
            digits += d;
            paint();
          }
        },
        () => {
          digits = digits.slice(0, -1);
          paint();
        },
        () => {
          if (!/^1[3-9]\d{9}$/.test(digits)) {
            msg.textContent = T("请输入 11 位大陆手机号", "Enter an 11-digit mainland mobile number");
            return;
          }
          visit.phone = digits;
          flow.next();
        },
        T("下一步", "Next")
      )
    )
  );
  paint();
}
