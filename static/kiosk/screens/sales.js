// Step "sales": the sales consultant who receives the customer, proposed
// by rotation (轮排): from the scan reply for a reported visit, from the
// walk-in's start for a walk-in. A choice made earlier is kept when the
// clerk comes back. Next: the signatures, or for a walk-in straight to
// recording it as a natural visit.
//
// Every consultant the server lists is offered (away ones too: the server's
// list decides). When the clerk picks someone other than the proposed one,
// 客户指定此顾问（不占轮次）(#sales-requested) says whether the customer asked
// for that consultant by name — then the rotation does not move
// (visit.sales_requested, sent with the check-in). Off by default, and
// cleared when the proposed consultant is picked again.

import { button, h, show } from "../dom.js";
import { T } from "../i18n.js";

export function render(flow) {
  const visit = flow.visit;
  const source = visit.scan || visit.rotation || {};
  const list = source.sales && source.sales.length ? source.sales : (flow.boot.operators || []).filter((o) => o.role === "sales");
  const next = source.next_sales || null;
  if (visit.sales_id === undefined) visit.sales_id = next ? next.id : null;
  if (typeof visit.sales_requested !== "boolean") visit.sales_requested = false;
  const box = h("div", { class: "grid" });
  const requested = h(
    "button",
    {
      type: "button",
      class: "secondary big",
      id: "sales-requested",
      "aria-pressed": "false",
      on: {
        click: () => {
          visit.sales_requested = !visit.sales_requested;
          paint();
        },
      },
    },
    T("客户指定此顾问（不占轮次）", "Customer asked for this consultant (keeps the rotation)")
  );
  /** Whether the consultant chosen is not the one whose turn it is. */
  const offTurn = () => visit.sales_id != null && !(next && visit.sales_id === next.id);
  const paint = () => {
    if (!offTurn()) visit.sales_requested = false;
    box.innerHTML = "";
    for (const s of list) {
      box.appendChild(
        button(
          s.name + (next && s.id === next.id ? T("（轮到）", " (next)") : ""),
          () => {
            visit.sales_id = s.id;
            paint();
          },
          s.id === visit.sales_id ? "big chosen" : "big",
          "sales-" + s.id
        )
      );
    }
    requested.hidden = !offTurn();
    requested.classList.toggle("chosen", !!visit.sales_requested);
    requested.setAttribute("aria-pressed", visit.sales_requested ? "true" : "false");
  };
  paint();
  const signing = flow.signers().length > 0;
  show(
    h(
      "section",
      { class: "panel" },
      h("h1", {}, T("接待置业顾问（按轮排）", "Sales consultant (by rotation)")),
      list.length ? box : h("p", {}, T("本项目没有置业顾问名单。", "No sales consultants are set up.")),
      list.length ? requested : null,
      button(
        signing ? T("下一步：签字", "Next: signatures") : T("登记为自然到访", "Record as a natural visit"),
        () => flow.next(),
        "primary",
        "sales-next"
      )
    )
  );
}
