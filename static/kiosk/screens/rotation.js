// Screen "rotation" (轮排), from the scan screen's 轮排 button
// (#rotation-open): today's board of sales consultants, outside any visit
// (no visit is started, no step bar). Each consultant is a row
// (#rotation-<id>): the name, 轮到 (.turn-mark) on the one whose turn it
// is, and three toggles — 在岗 / 暂离（轮空）/ 接待中（累计）
// (#presence-<id>-present|away|busy; the current one has class "chosen"
// and aria-pressed="true"). A tap sends POST /kiosk/rotation and the board
// is repainted from the reply: the server alone says whose turn it is.
// 返回扫码 (#rotation-back) goes back to "scan".

import { get, post } from "../api.js";
import { button, h, onLeave, show, trouble } from "../dom.js";
import { T } from "../i18n.js";

/** The presences, in the order of the toggles. */
const PRESENCES = [
  ["present", () => T("在岗", "Present")],
  ["away", () => T("暂离（轮空）", "Away (loses the turn)")],
  ["busy", () => T("接待中（累计）", "With a customer (keeps the turn)")],
];

export function render(flow) {
  const msg = h("p", { class: "msg", id: "rotation-msg", role: "status" });
  const board = h("div", { class: "rotation-board", id: "rotation-board", "aria-live": "polite" });
  let left = false;
  let sending = false; // a change is on its way: taps wait for the reply
  let seats = [];

  const paint = (reply) => {
    seats = (reply && reply.board) || [];
    board.innerHTML = "";
    if (!seats.length) {
      board.appendChild(h("p", {}, T("本项目没有置业顾问名单。", "No sales consultants are set up.")));
      return;
    }
    for (const s of seats) {
      const toggles = PRESENCES.map(([code, label]) => {
        const on = s.presence === code;
        return h(
          "button",
          {
            type: "button",
            class: "secondary presence" + (on ? " chosen" : ""),
            id: "presence-" + s.id + "-" + code,
            "aria-pressed": on ? "true" : "false",
            on: { click: () => choose(s, code) },
          },
          label()
        );
      });
      board.appendChild(
        h(
          "div",
          // Unstyled wrapper (kiosk.css has no rule for the board yet).
          { class: "rotation-row" + (s.next ? " next" : ""), id: "rotation-" + s.id, "data-presence": s.presence },
          h(
            "p",
            { class: "big-msg" },
            h("span", { class: "rotation-name" }, s.name),
            s.next ? " " : null,
            s.next ? h("span", { class: "banner turn-mark" }, T("轮到", "Next")) : null
          ),
          h("div", { class: "row" }, ...toggles)
        )
      );
    }
  };

  const load = () => {
    msg.textContent = "";
    get("/kiosk/rotation").then(
      (r) => {
        if (left) return;
        paint(r);
      },
      (e) => {
        if (left) return;
        trouble(msg, e, load);
      }
    );
  };

  const choose = (s, code) => {
    if (sending || left || s.presence === code) return;
    sending = true;
    board.setAttribute("aria-busy", "true");
    msg.textContent = "";
    post("/kiosk/rotation", { staff_id: s.id, presence: code }).then(
      (r) => {
        sending = false;
        board.removeAttribute("aria-busy");
        if (left) return;
        paint(r);
      },
      (e) => {
        sending = false;
        board.removeAttribute("aria-busy");
        if (left) return;
        // The board on screen is still what the server last said.
        trouble(msg, e, () => choose(s, code));
      }
    );
  };

  board.appendChild(h("p", {}, T("正在读取轮排……", "Loading the rotation…")));
  show(
    h(
      "section",
      { class: "panel", id: "rotation" },
      h("h1", {}, T("轮排", "Rotation")),
      h(
        "p",
        { class: "banner", id: "rotation-rules" },
        T(
          "暂离的顾问本轮轮空；接待中的顾问保留轮次（累计）；客户指定的顾问不占轮次。",
          "An away consultant loses this turn; one with a customer keeps the place; a consultant the customer asked for uses no turn."
        )
      ),
      board,
      msg,
      button(T("返回扫码", "Back to scanning"), () => flow.go("scan"), "primary", "rotation-back")
    )
  );
  onLeave(() => {
    left = true;
  });
  load();
}
