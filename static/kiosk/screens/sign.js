// Steps "sign:customer", "sign:agent", "sign:sales": one signer at a time
// signs their statement (text from the server's /kiosk/scan reply).

import { button, h, onLeave, show } from "../dom.js";
import { T } from "../i18n.js";
import { SignaturePad } from "../signature-pad.js";
import { offHoursBanner } from "./banner.js";

/** Signer codes (as the server names them) in signing order, with labels. */
export const SIGNERS = [
  { code: "customer", title: T("客户签字", "Customer signs"), again: T("请客户重新签字", "Customer: sign again") },
  { code: "agent", title: T("经纪人签字", "Agent signs"), again: T("请经纪人重新签字", "Agent: sign again") },
  { code: "sales", title: T("置业顾问签字", "Sales consultant signs"), again: T("请置业顾问重新签字", "Sales consultant: sign again") },
];

export function signer(code) {
  return SIGNERS.find((s) => s.code === code) || null;
}

export function render(flow, code) {
  const visit = flow.visit;
  const who = signer(code);
  if (!who) throw new Error("unknown signer " + code);
  // "(n/3)": this signer's place among the sign steps of the visit's flow.
  const signSteps = flow.steps().filter((s) => s.startsWith("sign:"));
  const place = signSteps.indexOf("sign:" + code) + 1;
  const more = (flow.peek() || "").startsWith("sign:");
  const statement = (visit.scan.statements || {})[code] || "";
  const pad = new SignaturePad();
  const msg = h("p", { class: "msg" });
  show(
    h(
      "section",
      { class: "panel sign" },
      offHoursBanner(visit),
      h("h1", {}, who.title + "(" + place + "/" + signSteps.length + ")"),
      h("p", { class: "statement" }, statement),
      pad.el,
      msg,
      h(
        "div",
        { class: "row" },
        button(
          T("清除重签", "Clear"),
          () => {
            pad.clear();
            msg.textContent = "";
          },
          "secondary",
          "sign-clear"
        ),
        button(
          more ? T("确认签字,下一位", "Done, next signer") : T("确认签字并提交", "Done, submit"),
          () => {
            const sig = pad.signature();
            if (!sig.ok) {
              msg.textContent = T("签名过于简单或为空,请重新签名", "The signature is empty or too small; please sign again");
              return;
            }
            visit.signatures[code] = { signer: code, png: sig.png, strokes: pad.strokes() };
            flow.next();
          },
          "primary",
          "sign-next"
        )
      )
    )
  );
  onLeave(() => pad.destroy());
  pad.fit();
}
