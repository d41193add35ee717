// Step "sales": the sales consultant who receives the customer, proposed
// by rotation (轮排) for a reported visit. Next: the signatures, or for a
// walk-in straight to recording it as a natural visit.

import { button, h, show } from "../dom.js";
import { T } from "../i18n.js";

export function render(flow) {
  const visit = flow.visit;
  const list = (visit.scan && visit.scan.sales) || (flow.boot.operators || []).filter((o) => o.role === "sales");
  const next = visit.scan && visit.scan.next_sales;
  visit.sales_id = next ? next.id : null;
  const box = h("div", { class: "grid" });
  const paint = () => {
    box.innerHTML = "";
    for (const s of list) {
      box.appendChild(
        button(
          s.name + (next && s.id === next.id ? T("(轮到)", " (next)") : ""),
          () => {
            visit.sales_id = s.id;
            paint();
          },
          s.id === visit.sales_id ? "big chosen" : "big",
          "sales-" + s.id
        )
      );
    }
  };
  paint();
  show(
    h(
      "section",
      { class: "panel" },
      h("h1", {}, T("接待置业顾问(按轮排)", "Sales consultant (by rotation)")),
      list.length ? box : h("p", {}, T("本项目没有置业顾问名单", "No sales consultants are set up")),
      button(
        visit.scan ? T("下一步:签字", "Next: signatures") : T("登记为自然到访", "Record as a natural visit"),
        () => flow.next(),
        "primary",
        "sales-next"
      )
    )
  );
}
