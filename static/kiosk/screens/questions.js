// Step "questions" (reported visits only): the three questions (三问) and
// the two things the desk checks about the agent. What an answer will mean
// is said at once, before anyone signs (#questions-warnings): an unticked
// 经纪人本人在场, a "no" to question 3, or a name that does not match the
// report each make the visit a natural visit. Answers given earlier are
// shown again when the clerk comes back to this step.

import { button, h, show } from "../dom.js";
import { T } from "../i18n.js";
import { offHoursBanner } from "./banner.js";

/** The warnings for the answers so far: [id, text]. */
function warnings(visit) {
  const a = visit.answers;
  const out = [];
  if (!a.agent_present) {
    out.push([
      "warn-agent-absent",
      T(
        "未勾选「经纪人本人在场陪同」：记录将写明经纪人未陪同，按规则判为自然到访。",
        "“The agent is here” is not ticked: the record will say the agent did not come, which makes it a natural visit."
      ),
    ]);
  }
  if (a.customer_confirms_agent === false) {
    out.push([
      "warn-denies-agent",
      T(
        "客户表示不是由该经纪人带来：将判为自然到访。",
        "The customer says this agent did not bring them: it will be a natural visit."
      ),
    ]);
  }
  if (visit.name_matches === false) {
    out.push([
      "warn-name",
      T(
        "到访客户姓名与报备姓名不一致：将判为自然到访（姓名或电话与报备不符）。",
        "The visitor's name does not match the reported name: it will be a natural visit (identity mismatch)."
      ),
    ]);
  }
  return out;
}

export function render(flow) {
  const visit = flow.visit;
  const a = visit.answers;
  const agent = visit.scan.report.agent;
  const list = h("ul", { class: "warnings", id: "questions-warnings", "aria-live": "polite" });
  const paintWarnings = () => {
    list.innerHTML = "";
    for (const [id, text] of warnings(visit)) list.appendChild(h("li", { id }, text));
    list.hidden = !list.firstChild;
  };
  const yesNo = (key, q) => {
    const row = h("div", { class: "question" }, h("p", {}, q));
    for (const [value, label] of [
      [true, T("是", "Yes")],
      [false, T("否", "No")],
    ]) {
      const b = button(
        label,
        () => {
          a[key] = value;
          row.querySelectorAll("button").forEach((x) => x.classList.remove("chosen"));
          b.classList.add("chosen");
          paintWarnings();
        },
        "answer" + (a[key] === value ? " chosen" : ""),
        key + "-" + (value ? "yes" : "no")
      );
      row.appendChild(b);
    }
    return row;
  };
  const tick = (key, label) => {
    const box = h("input", { type: "checkbox", id: key });
    box.checked = !!a[key];
    box.addEventListener("change", () => {
      a[key] = box.checked;
      paintWarnings();
    });
    return h("label", { class: "tick" }, box, " ", label);
  };
  const msg = h("p", { class: "msg" });
  show(
    h(
      "section",
      { class: "panel" },
      offHoursBanner(visit),
      h("h1", {}, T("请判客岗询问客户", "Ask the customer")),
      yesNo("first_visit", T("1. 您是第一次来我们售楼处吗？", "1. Is this your first visit?")),
      yesNo("contacted_before", T("2. 之前是否有人联系过您？", "2. Has anyone contacted you before?")),
      yesNo(
        "customer_confirms_agent",
        T("3. 您是由这位经纪人（" + agent + "）带来的吗？", "3. Did this agent (" + agent + ") bring you?")
      ),
      tick("agent_present", T("经纪人本人在场陪同", "The agent is here with the customer")),
      tick("badge_seen", T("已查看经纪人工作证", "I have seen the agent's work badge")),
      list,
      msg,
      button(
        T("下一步", "Next"),
        () => {
          if (a.first_visit == null || a.contacted_before == null || a.customer_confirms_agent == null) {
            msg.textContent = T("请回答全部三个问题。", "Answer all three questions.");
            return;
          }
          flow.next();
        },
        "primary",
        "questions-next"
      )
    )
  );
  paintWarnings();
}
