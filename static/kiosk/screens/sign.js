// Steps "sign:customer", "sign:agent", "sign:sales": one signer at a time
// signs their statement — the text the server returned with the verdict
// before signing (flow.signingVerdict().statements: the facts of this
// visit), which is what the server records with the signature. Which signers apply is the driver's business (main.js,
// SIGNERS_FOR): for a natural visit only the customer signs, and the agent
// may acknowledge the reasons (经纪人确认已知悉) or skip (#sign-skip).

import { button, h, onLeave, show } from "../dom.js";
import { T } from "../i18n.js";
import { SignaturePad, encodePen } from "../signature-pad.js";
import { offHoursBanner } from "./banner.js";

/** Signer codes (as the server names them) in signing order, with labels. */
export const SIGNERS = [
  {
    code: "customer",
    title: T("客户签字", "Customer signs"),
    again: T("请客户重新签字", "Customer: sign again"),
    hint: T("请客户在此签名", "Customer: sign here"),
  },
  {
    code: "agent",
    title: T("经纪人签字", "Agent signs"),
    again: T("请经纪人重新签字", "Agent: sign again"),
    hint: T("请经纪人在此签名", "Agent: sign here"),
  },
  {
    code: "sales",
    title: T("置业顾问签字", "Sales consultant signs"),
    again: T("请置业顾问重新签字", "Sales consultant: sign again"),
    hint: T("请置业顾问在此签名", "Sales consultant: sign here"),
  },
];

export function signer(code) {
  return SIGNERS.find((s) => s.code === code) || null;
}

export function render(flow, code) {
  const visit = flow.visit;
  const who = signer(code);
  if (!who) throw new Error("unknown signer " + code);
  const verdict = flow.signingVerdict() || {};
  const natural = verdict.sign === "natural-visit";
  const optional = flow.optionalSigner(code);
  // "（n/N）": this signer's place among the signers of this visit.
  const signers = flow.signers();
  const place = signers.indexOf(code) + 1;
  const more = (flow.peek() || "").startsWith("sign:");
  const statements = verdict.statements || {};
  const statement = statements[code] || "";
  const title = natural && code === "agent" ? T("经纪人确认已知悉", "Agent: acknowledge") : who.title;
  const pad = new SignaturePad(who.hint);
  const msg = h("p", { class: "msg" });
  show(
    h(
      "section",
      { class: "panel sign", id: "sign-" + code },
      offHoursBanner(visit),
      h("h1", {}, title + T("（" + place + "/" + signers.length + "）", " (" + place + "/" + signers.length + ")")),
      natural
        ? h(
            "p",
            { class: "banner warn" },
            code === "agent"
              ? T(
                  "本次为自然到访。经纪人可签字确认已知悉上述原因，也可不签。",
                  "This is a natural visit. The agent may sign to acknowledge the reasons, or skip."
                )
              : T("本次为自然到访，此签字为客户到访登记。", "This is a natural visit: the customer signs the registration.")
          )
        : null,
      h("p", { class: "statement", id: "statement" }, statement),
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
        optional
          ? button(
              T("经纪人不签，跳过", "Agent does not sign"),
              () => {
                visit.skipped[code] = true;
                delete visit.signatures[code];
                flow.next();
              },
              "secondary",
              "sign-skip"
            )
          : null,
        button(
          more ? T("确认签字，下一位", "Done, next signer") : T("确认签字并提交", "Done, submit"),
          () => {
            const sig = pad.signature();
            if (!sig.ok) {
              msg.textContent = T("签名过于简单或为空，请重新签名。", "The signature is empty or too small; please sign again.");
              return;
            }
            visit.signatures[code] = { signer: code, pen: encodePen(sig.strokes) };
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
