// Step "provisional" (reported visits): the verdict before anyone signs.
// Once the customer's full phone is in, the server judges everything that
// is already certain at the recorded first read (POST /kiosk/provisional)
// and says what is to be signed (`sign`) and the statements to show.
//   green  "可以签署带看确认单": the three sign the 带看确认单;
//   复访   the same, with the protection that already runs (not extended);
//   amber  "自然到访": every reason, in the page's language; only the
//          customer signs (the agent may acknowledge), no sales signature.
// The answer is kept in visit.provisional (the sign steps read it).

import { post } from "../api.js";
import { button, h, onLeave, show, trouble } from "../dom.js";
import { T, fullWidth, zh } from "../i18n.js";
import { offHoursBanner } from "./banner.js";

function ask(visit) {
  return post("/kiosk/provisional", {
    code: visit.code || null,
    customer_phone: visit.phone,
    // The name is typed later; the server then judges the reported name.
    // The check-in signs the statements of this same judgement.
    customer_name: null,
    walk_in_id: null,
  });
}

function verdictPanel(flow, p) {
  const visit = flow.visit;
  const valid = p.verdict === "valid";
  const next = button(T("下一步", "Next"), () => flow.next(), "primary", "provisional-next");
  const arrival = h(
    "p",
    { class: "arrival", id: "provisional-arrival" },
    T("到访时间（首次扫码）：", "Arrival (first scan): ") + (p.arrival_at || "")
  );
  if (valid) {
    return h(
      "section",
      { class: "panel provisional ok", id: "provisional", "data-verdict": "valid" },
      offHoursBanner(visit),
      h(
        "h1",
        { id: "provisional-title" },
        p.return_visit ? T("复访：可以签署带看确认单", "Return visit: sign the confirmation") : T("可以签署带看确认单", "The confirmation can be signed")
      ),
      h(
        "p",
        { class: "big-msg", id: "provisional-protection" },
        p.return_visit
          ? T(
              "该客户仍在本渠道的保护期内，保护期至 " + p.protected_until + "，本次到访不延长。",
              "The customer is still protected for this agency until " + p.protected_until + "; this visit does not extend it."
            )
          : T(
              "三方签字后为有效带看，客户保护期至 " + p.protected_until + "。",
              "Once all three sign it is a valid visit, protected until " + p.protected_until + "."
            )
      ),
      arrival,
      h(
        "p",
        {},
        T(
          "接下来：核对姓名、问询，客户、经纪人、置业顾问三方签字。问询的回答仍可能改变结果。",
          "Next: the name, the questions, then the customer, the agent and the sales consultant sign. The answers can still change the verdict."
        )
      ),
      next
    );
  }
  const reasons = h("ul", { class: "reasons", id: "provisional-reasons" });
  for (const r of p.reasons || []) {
    reasons.appendChild(h("li", { "data-code": r.code }, zh ? fullWidth(r.zh) : r.en));
  }
  return h(
    "section",
    { class: "panel provisional natural", id: "provisional", "data-verdict": "invalid" },
    offHoursBanner(visit),
    h("h1", { id: "provisional-title" }, T("自然到访", "Natural visit")),
    h("p", {}, T("以下原因已经确定，本次按自然到访登记：", "These reasons are already certain; this visit is recorded as a natural visit:")),
    reasons,
    arrival,
    h(
      "p",
      { class: "banner warn" },
      T(
        "不签署带看确认单：只需客户签字登记；经纪人可签字确认已知悉，也可不签；置业顾问无需签字。",
        "No confirmation is signed: only the customer signs; the agent may sign to acknowledge, or not; the sales consultant does not sign."
      )
    ),
    next
  );
}

export function render(flow) {
  const visit = flow.visit;
  let left = false;
  // One screen; its content is replaced in place (waiting → verdict).
  const holder = h("div", { class: "provisional-step" });
  const put = (el) => {
    holder.innerHTML = "";
    holder.appendChild(el);
  };
  const load = () => {
    const msg = h("p", { class: "msg", id: "provisional-msg" });
    const wait = h("p", { class: "big-msg" }, T("正在初判，请稍候……", "Checking…"));
    put(
      h(
        "section",
        { class: "panel", id: "provisional-wait" },
        offHoursBanner(visit),
        h("h1", {}, T("初判", "Pre-check")),
        wait,
        msg
      )
    );
    ask(visit).then(
      (p) => {
        if (left) return;
        visit.provisional = p;
        put(verdictPanel(flow, p));
      },
      (e) => {
        if (left) return;
        // The visit stays on screen: try again when the server is back,
        // or go back and correct the phone (a refused number says why).
        wait.textContent = T("未能初判。", "The pre-check failed.");
        trouble(msg, e, load);
      }
    );
  };
  show(holder);
  onLeave(() => {
    left = true;
  });
  load();
}
