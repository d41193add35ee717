// The check-in was not recorded. The visit is kept on screen: try again
// (the server could not be reached: said plainly), or — when the server
// refused one signature (422 BAD_SIGNATURE, "customer: …") — back to that
// signer's pad, the other signatures kept; or cancel the visit.

import { button, h, show } from "../dom.js";
import { T } from "../i18n.js";
import { signer } from "./sign.js";

/** The signer whose signature the server refused, if that is the error. */
export function refusedSigner(e, flow) {
  if (!e || e.status !== 422 || e.code !== "BAD_SIGNATURE") return null;
  const m = /^\s*([a-z]+)\s*:/.exec(e.raw || e.message || "");
  const who = m && signer(m[1]);
  return who && flow.applies("sign:" + who.code) ? who : null;
}

export function render(flow, e) {
  const who = refusedSigner(e, flow);
  const offline = !!(e && e.offline);
  // "customer: 签名…": the signer is named by the title, not the code.
  const message = who ? String(e.message || "").replace(/^\s*[a-z]+\s*:\s*/, "") : (e && e.message) || String(e);
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
      { class: "panel refused", id: "not-recorded", "data-offline": offline ? "true" : "false" },
      h("h1", {}, offline ? T("无法连接服务器", "The server cannot be reached") : T("未能登记", "Not recorded")),
      offline
        ? h(
            "p",
            { class: "big-msg" },
            T(
              "登记尚未提交，没有记录任何内容。本次登记和签字仍保留在本机上，网络恢复后请点「重试」。",
              "The visit was not sent and nothing was recorded. It is kept here with its signatures; press Try again once the network is back."
            )
          )
        : h("p", { class: "big-msg" }, who ? who.title + T("：", ": ") + message : message),
      ...actions,
      button(T("放弃，返回扫码", "Give up, back to scanning"), () => flow.cancel(), "secondary", "give-up")
    )
  );
}
