// Step "questions" (reported visits only): the three questions (三问) and
// the two things the desk checks about the agent. What an answer will mean
// is said at once, before anyone signs (#questions-warnings): an unticked
// 经纪人本人在场 (only where the project's rules ask the agent to come
// along), a "no" to question 3, or a name that does not match the
// report each make the visit a natural visit. Answers given earlier are
// shown again when the clerk comes back to this step.

import { post } from "../api.js";
import { button, h, show, trouble } from "../dom.js";
import { T } from "../i18n.js";
import { offHoursBanner } from "./banner.js";

/**
 * Whether the project's rules ask the agent to come with the customer
 * (boot `project.agent_must_accompany`; a server that does not say so yet
 * is taken to ask it).
 */
function agentMustAccompany(boot) {
  const project = boot && boot.project;
  return !(project && project.agent_must_accompany === false);
}

/** The warnings for the answers so far: [id, text]. */
function warnings(visit, mustAccompany) {
  const a = visit.answers;
  const out = [];
  if (mustAccompany && !a.agent_present) {
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
  const mustAccompany = agentMustAccompany(flow.boot);
  const list = h("ul", { class: "warnings", id: "questions-warnings", "aria-live": "polite" });
  const paintWarnings = () => {
    list.innerHTML = "";
    for (const [id, text] of warnings(visit, mustAccompany)) list.appendChild(h("li", { id }, text));
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
          msg.textContent = "";
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
  // The verdict before signing: asked again with the name and the answers,
  // so nobody signs a statement the answers contradict.
  delete visit.signing;
  let busy = false;
  const onNext = () => {
    if (busy) return;
    if (a.first_visit == null || a.contacted_before == null || a.customer_confirms_agent == null) {
      msg.textContent = T("请回答全部三个问题。", "Answer all three questions.");
      return;
    }
    msg.textContent = "";
    busy = true;
    post("/kiosk/provisional", {
      code: visit.code || null,
      customer_phone: visit.phone,
      customer_name: visit.name || null,
      walk_in_id: null,
      agent_present: !!a.agent_present,
      customer_confirms_agent: !!a.customer_confirms_agent,
    }).then(
      (r) => {
        busy = false;
        if (flow.visit !== visit || flow.step !== "questions") return;
        visit.signing = r;
        flow.next();
      },
      (e) => {
        busy = false;
        if (flow.visit !== visit || flow.step !== "questions") return;
        trouble(msg, e, onNext);
      }
    );
  };
  const nextButton = button(T("下一步", "Next"), onNext, "primary", "questions-next");
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
      h(
        "div",
        { class: "ticks" },
        tick("agent_present", T("经纪人本人在场陪同", "The agent is here with the customer")),
        tick("badge_seen", T("已查看经纪人工作证", "I have seen the agent's work badge"))
      ),
      list,
      msg,
      nextButton
    )
  );
  paintWarnings();
}
