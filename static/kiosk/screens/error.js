// The check-in was not recorded. The visit is kept: try again, or — when
// the server refused one signature (422 BAD_SIGNATURE, "customer: …") —
// back to that signer's pad, the other signatures kept; or give up.

import { button, h, show } from "../dom.js";
import { T } from "../i18n.js";
import { signer } from "./sign.js";

/** The signer whose signature the server refused, if that is the error. */
export function refusedSigner(e, flow) {
  if (!e || e.status !== 422 || e.code !== "BAD_SIGNATURE") return null;
  const m = /^\s*([a-z]+)\s*:/.exec(e.message || "");
  const who = m && signer(m[1]);
  return who && flow.steps().includes("sign:" + who.code) ? who : null;
}

export function render(flow, e) {
  const who = refusedSigner(e, flow);
  const actions = who
    ? [
        button(
          who.again,
          () => {
            delete flow.visit.signatures[who.code];
            flow.go("sign:" + who.code);
          },
          "primary",
          "re-sign"
        ),
      ]
    : [button(T("重试", "Try again"), () => flow.go("submit"), "primary", "retry")];
  show(
    h(
      "section",
      { class: "panel refused", id: "not-recorded" },
      h("h1", {}, T("未能登记", "Not recorded")),
      h("p", { class: "big-msg" }, e.message),
      ...actions,
      button(T("放弃,返回扫码", "Give up, back to scanning"), () => flow.go("scan"), "secondary", "give-up")
    )
  );
}
