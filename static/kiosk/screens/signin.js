// Who is at the desk (boot.screen "signin"), then their PIN. Success sets
// the staff cookie; the page reloads to the scan screen.

import { post } from "../api.js";
import { button, h, show, trouble } from "../dom.js";
import { T } from "../i18n.js";
import { keypad } from "../keypad.js";

export function render(flow) {
  const list = h("div", { class: "grid" });
  for (const op of flow.boot.operators || []) {
    const role = op.role === "sales" ? T("（置业顾问）", " (sales)") : T("（判客岗）", " (desk)");
    list.appendChild(button(op.name + role, () => flow.go("pin", op), "big", "op-" + op.id));
  }
  show(h("section", { class: "panel" }, h("h1", {}, T("请选择您的姓名", "Who is at the desk?")), list));
}

export function renderPin(flow, op) {
  let pin = "";
  const dots = h("p", { class: "pin" });
  const msg = h("p", { class: "msg" });
  const paint = () => {
    dots.textContent = pin.replace(/./g, "●") || "—";
  };
  show(
    h(
      "section",
      { class: "panel narrow" },
      h("h1", {}, op.name),
      h("p", {}, T("请输入 PIN 码", "Enter your PIN")),
      dots,
      msg,
      keypad(
        (d) => {
          if (pin.length < 8) {
            pin += d;
            paint();
          }
        },
        () => {
          pin = pin.slice(0, -1);
          paint();
        },
        () => {
          post("/kiosk/signin", { staff_id: op.id, pin }).then(
            () => location.reload(),
            (e) => {
              pin = "";
              paint();
              trouble(msg, e);
            }
          );
        },
        T("登录", "Sign in")
      ),
      button(T("返回", "Back"), () => flow.go("signin"), "secondary", "pin-back")
    )
  );
  paint();
}
