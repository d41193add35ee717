// Step "name": the visitor's name as on their ID. For a reported visit the
// server compares it with the reported name (POST /kiosk/name-check):
// visit.name_matches says whether the record will find them the same
// customer. A name that does not match (a surname that only sounds alike,
// 黄/王, or any other) is said at once with what it means — a natural
// visit — and the clerk presses 下一步 again to go on with it.

import { post } from "../api.js";
import { button, h, show, trouble } from "../dom.js";
import { T } from "../i18n.js";
import { offHoursBanner } from "./banner.js";

export function render(flow) {
  const visit = flow.visit;
  const input = h("input", { id: "customer-name", maxlength: 40, autocomplete: "off" });
  input.value = visit.name || "";
  const warn = h("p", { class: "banner warn", id: "name-warning", hidden: "" });
  const msg = h("p", { class: "msg", id: "name-msg" });
  const reported = visit.scan ? visit.scan.report.customer_name : null;
  let busy = false;
  const next = () => {
    if (busy) return;
    const name = input.value.trim();
    msg.textContent = "";
    if (!name) {
      msg.textContent = T("请填写客户姓名。", "Enter the customer's name.");
      return;
    }
    if (name !== visit.name) delete visit.name_matches;
    visit.name = name;
    if (!reported || warn.dataset.shown === name) {
      flow.next();
      return;
    }
    busy = true;
    post("/kiosk/name-check", { reported, name }).then(
      (r) => {
        busy = false;
        if (flow.visit !== visit || flow.step !== "name") return;
        visit.name_matches = !!r.matches;
        if (r.matches) {
          flow.next();
          return;
        }
        // Said at once, before anyone signs: another name is a natural visit.
        warn.hidden = false;
        warn.dataset.shown = name;
        warn.textContent = r.near_miss
          ? T(
              "注意：姓氏读音相近但不一致（如 黄/王）。姓名与报备不符将判为自然到访。请核实证件；确认无误再点「下一步」。",
              "Careful: the surnames sound alike but differ (e.g. 黄/王). A name that does not match the report makes it a natural visit. Check the ID, then press Next."
            )
          : T(
              "到访姓名与报备姓名「" + reported + "」不一致：将判为自然到访（姓名或电话与报备不符）。请核实证件；确认无误再点「下一步」。",
              "The name does not match the reported name “" + reported + "”: it will be a natural visit (identity mismatch). Check the ID, then press Next."
            );
      },
      (e) => {
        busy = false;
        if (flow.visit !== visit || flow.step !== "name") return;
        trouble(msg, e, next);
      }
    );
  };
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      next();
    }
  });
  show(
    h(
      "section",
      { class: "panel" },
      offHoursBanner(visit),
      h("h1", {}, T("核对客户姓名", "Confirm the customer's name")),
      reported ? h("p", {}, T("报备姓名：", "Reported name: "), h("strong", { id: "reported-name" }, reported)) : null,
      h("label", {}, T("到访客户姓名（请与证件一致）", "Name of the visitor (as on their ID)"), input),
      warn,
      msg,
      button(T("下一步", "Next"), next, "primary", "name-next")
    )
  );
  input.focus();
}
