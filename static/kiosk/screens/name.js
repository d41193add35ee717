// Step "name": the visitor's name as on their ID. For a reported visit the
// server compares surnames by pinyin (黄/王) and the desk is warned once.

import { post } from "../api.js";
import { button, h, show } from "../dom.js";
import { T } from "../i18n.js";
import { offHoursBanner } from "./banner.js";

export function render(flow) {
  const visit = flow.visit;
  const input = h("input", { id: "customer-name", maxlength: 40, autocomplete: "off" });
  const warn = h("p", { class: "banner warn", id: "name-warning", hidden: "" });
  const reported = visit.scan ? visit.scan.report.customer_name : null;
  const next = () => {
    const name = input.value.trim();
    if (!name) {
      warn.hidden = false;
      warn.textContent = T("请填写客户姓名", "Enter the customer's name");
      return;
    }
    visit.name = name;
    if (reported && warn.dataset.shown !== name) {
      post("/kiosk/name-check", { reported, name }).then(
        (r) => {
          if (r.near_miss) {
            warn.hidden = false;
            warn.dataset.shown = name;
            warn.textContent = T(
              "注意:姓氏读音相近但不一致(如 黄/王),请再次核实。确认无误请再点「下一步」。",
              "Careful: the surnames sound alike but differ (e.g. 黄/王). Check again, then press Next."
            );
          } else {
            flow.next();
          }
        },
        (e) => {
          warn.hidden = false;
          warn.textContent = e.message;
        }
      );
      return;
    }
    flow.next();
  };
  show(
    h(
      "section",
      { class: "panel" },
      offHoursBanner(visit),
      h("h1", {}, T("核对客户姓名", "Confirm the customer's name")),
      reported ? h("p", {}, T("报备姓名:", "Reported name: "), h("strong", {}, reported)) : null,
      h("label", {}, T("到访客户姓名(请与证件一致)", "Name of the visitor (as on their ID)"), input),
      warn,
      button(T("下一步", "Next"), next, "primary", "name-next")
    )
  );
  input.focus();
}
