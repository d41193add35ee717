// Step "questions" (reported visits only): the three questions (三问) and
// the two things the desk checks about the agent.

import { button, h, show } from "../dom.js";
import { T } from "../i18n.js";
import { offHoursBanner } from "./banner.js";

export function render(flow) {
  const visit = flow.visit;
  const a = visit.answers;
  const agent = visit.scan.report.agent;
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
        },
        "answer",
        key + "-" + (value ? "yes" : "no")
      );
      row.appendChild(b);
    }
    return row;
  };
  const tick = (key, label) => {
    const box = h("input", { type: "checkbox", id: key });
    box.addEventListener("change", () => {
      a[key] = box.checked;
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
      yesNo("first_visit", T("1. 您是第一次来我们售楼处吗?", "1. Is this your first visit?")),
      yesNo("contacted_before", T("2. 之前是否有人联系过您?", "2. Has anyone contacted you before?")),
      yesNo(
        "customer_confirms_agent",
        T("3. 您是由这位经纪人(" + agent + ")带来的吗?", "3. Did this agent (" + agent + ") bring you?")
      ),
      tick("agent_present", T("经纪人本人在场陪同", "The agent is here with the customer")),
      tick("badge_seen", T("已查看经纪人工作证", "I have seen the agent's work badge")),
      msg,
      button(
        T("下一步", "Next"),
        () => {
          if (a.first_visit == null || a.contacted_before == null || a.customer_confirms_agent == null) {
            msg.textContent = T("请完成三个问题", "Answer all three questions");
            return;
          }
          flow.next();
        },
        "primary",
        "questions-next"
      )
    )
  );
}
