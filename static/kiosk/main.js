// panke kiosk — entry point (native ES modules, no bundler; every relative
// import inherits the versioned /static/v-…/ prefix of this file).
//   main.js           boot JSON, the STEP TABLE and the driver (next, back,
//                     cancel), idle and scanner wiring
//   api.js            post() to the server, error objects, reachability
//   dom.js            h(), button(), show(), onLeave(), trouble()
//   i18n.js           T(cn, en), local() for server messages, full-width
//   keypad.js         the on-screen keypad (PIN, phone)
//   camera.js         camera → BarcodeDetector / jsQR / POST /kiosk/decode
//   scanner.js        the handheld scanner's key bursts, wherever the focus
//   idle.js           the idle countdown (timings: see there)
//   visit-bar.js      上一步 / step bar / 取消登记 above every step
//   signature-pad.js  the pad; its ink test is the server's rule
//   screens/*.js      one module per screen: render(flow, arg); a screen
//                     moves on with flow.next(), flow.back(), flow.cancel()
//                     or flow.go(name), never by calling another screen
//
// The server decides everything that matters (time, verdict); the kiosk
// only collects input. Nothing is kept after a visit, a cancel, or an idle
// countdown that ran out.

import { post, setCsrf, watchNetwork } from "./api.js";
import { dismiss as dismissIdle, setupIdle, storedMs, touch, IDLE_MS, COUNTDOWN_MS } from "./idle.js";
import { T } from "./i18n.js";
import { listenForScanner, SCAN_GAP_MS } from "./scanner.js";
import * as errorScreen from "./screens/error.js";
import * as liveReport from "./screens/live-report.js";
import * as name from "./screens/name.js";
import * as pair from "./screens/pair.js";
import * as phone from "./screens/phone.js";
import * as provisional from "./screens/provisional.js";
import * as questions from "./screens/questions.js";
import * as refused from "./screens/refused.js";
import * as report from "./screens/report.js";
import * as rotation from "./screens/rotation.js";
import * as sales from "./screens/sales.js";
import * as scan from "./screens/scan.js";
import * as sign from "./screens/sign.js";
import * as signin from "./screens/signin.js";
import * as submit from "./screens/submit.js";
import * as verdict from "./screens/verdict.js";
import { createVisitBar } from "./visit-bar.js";

/**
 * The flow of a visit, step by step. A step is a screen name, or
 * "sign:<signer>" for the sign screen of one signer.
 *
 * A reported visit (scanned code): the report card, the customer types the
 * full phone, then "provisional" asks the server for the verdict before
 * anyone signs (POST /kiosk/provisional → visit.provisional). Its `sign`
 * decides which sign steps apply (see SIGNERS_FOR): "confirmation" — the
 * 带看确认单, customer, agent and sales consultant; "natural-visit" — the
 * customer only, and the agent may acknowledge (经纪人确认已知悉) or be
 * skipped; never the sales consultant. Leaving "questions", the server is
 * asked again with the name and the answers (visit.signing): the verdict
 * before signing, whose `sign` and statements the signers get — an
 * unticked 经纪人在场, a "no" to question 3 or another name makes it a
 * natural visit before anyone signs.
 *
 * A walk-in (no report) collects no signature and is recorded as a natural
 * visit: the walk-in button first starts it on the server (POST
 * /kiosk/walk-ins, the arrival instant; visit.walk_in_id), and once the
 * phone is typed the server is asked for the customer's live reports
 * (visit.live_reports). "live-report" shows them: wait for the agent (the
 * walk-in cancelled) or register over one (visit.over_report). It applies
 * only when there is one, and is entered again from "submit" when the
 * check-in is refused with 409 LIVE_REPORT_FOUND (a report filed meanwhile).
 *
 * Every step after "scan" has 上一步 (flow.back: the previous step that
 * applies; signatures from there on are collected again) and 取消登记
 * (flow.cancel: POST /kiosk/visits/cancel with the step, then scan).
 */
export const STEPS = Object.freeze({
  reported: Object.freeze([
    "scan",
    "report",
    "phone",
    "provisional",
    "name",
    "questions",
    "sales",
    "sign:customer",
    "sign:agent",
    "sign:sales",
    "submit",
    "verdict",
  ]),
  walkIn: Object.freeze(["scan", "phone", "live-report", "name", "sales", "submit", "verdict"]),
});

/** Who signs, by the provisional answer's `sign`. */
export const SIGNERS_FOR = Object.freeze({
  confirmation: Object.freeze(["customer", "agent", "sales"]),
  "natural-visit": Object.freeze(["customer", "agent"]),
});

/** Sign steps that may be skipped (a button on the pad), by `sign`. */
const OPTIONAL_SIGNERS = Object.freeze({ confirmation: [], "natural-visit": ["agent"] });

/**
 * Screens outside the step table: before sign-in (the page reloads after
 * each), and the two detours — "refused" (from scan, back to scan) and
 * "error" (from submit: retry, re-sign one signer, or cancel).
 * "verdict" is also entered straight from "scan" for a report already
 * recorded (no visit then). "rotation" (轮排, the consultants' presence
 * for today) is reached from "scan" outside any visit and goes back to it.
 */
const SCREENS = {
  pair: pair.render,
  signin: signin.render,
  pin: signin.renderPin,
  scan: scan.render,
  refused: refused.render,
  rotation: rotation.render,
  error: errorScreen.render,
  report: report.render,
  provisional: provisional.render,
  "live-report": liveReport.render,
  phone: phone.render,
  name: name.render,
  questions: questions.render,
  sales: sales.render,
  sign: sign.render,
  submit: submit.render,
  verdict: verdict.render,
};

const boot = JSON.parse(document.getElementById("boot").textContent);

/**
 * The verdict the signers sign under: the one asked for after the questions
 * (visit.signing: the name and the answers judged too), else the
 * provisional one.
 */
function signingVerdict(visit) {
  return (visit && (visit.signing || visit.provisional)) || null;
}

/** The signature kind of a visit: "confirmation" unless the server said otherwise. */
function signKind(visit) {
  const v = signingVerdict(visit);
  return v && v.sign === "natural-visit" ? "natural-visit" : "confirmation";
}

/** Whether `step` is part of this visit at all (whatever was done already). */
function applies(step, visit) {
  if (!visit) return false;
  if (step === "live-report") return !!(visit.live_reports && visit.live_reports.length);
  const m = /^sign:(.+)$/.exec(step);
  if (m) return SIGNERS_FOR[signKind(visit)].includes(m[1]);
  return true;
}

/**
 * A step still to do: it applies, a signature kept from an earlier try (or
 * a pad skipped) is not redone, "live-report" only until one was chosen.
 */
function pending(step, visit) {
  if (!applies(step, visit)) return false;
  if (step === "live-report") return visit.over_report == null;
  const m = /^sign:(.+)$/.exec(step);
  return !(m && (visit.signatures[m[1]] || visit.skipped[m[1]]));
}

/** The driver: the only thing that moves between screens. */
const flow = {
  boot,
  /**
   * The visit in progress: { kind, code, scan, phone, provisional, name,
   * name_matches, answers, sales_id, sales_requested, signatures, skipped },
   * and for a walk-in { walk_in_id, rotation, live_reports, over_report }.
   */
  visit: null,
  /** The step (or off-table screen) now shown. */
  step: null,
  /** Off hours as the server last said (scan, check-in): { value, at }. */
  offHours: null,

  /** The step table of the visit in progress ([] when there is none). */
  steps() {
    return flow.visit ? STEPS[flow.visit.kind] : [];
  },

  /** Whether `step` is part of the visit in progress. */
  applies(step) {
    return applies(step, flow.visit);
  },

  /** The signers of the visit in progress, in signing order. */
  signers() {
    return flow.visit ? SIGNERS_FOR[signKind(flow.visit)].filter((c) => flow.steps().includes("sign:" + c)) : [];
  },

  /** The verdict (and statements) the signers of this visit sign under. */
  signingVerdict() {
    return signingVerdict(flow.visit);
  },

  /** Whether signer `code` may skip their pad in the visit in progress. */
  optionalSigner(code) {
    return OPTIONAL_SIGNERS[signKind(flow.visit)].includes(code);
  },

  /** Remembers what the server said about off hours (see the scan screen). */
  noteOffHours(value) {
    if (typeof value === "boolean") flow.offHours = { value, at: Date.now() };
  },

  /** Starts a visit of `kind` ("reported" or "walkIn") and moves past "scan". */
  begin(kind, fields) {
    if (!STEPS[kind]) throw new Error("no flow " + kind);
    flow.visit = Object.assign({ kind, code: null, scan: null, answers: {}, signatures: {}, skipped: {} }, fields);
    flow.step = "scan";
    flow.next();
  },

  /** The step after `from` (default: the current one) still to do, or null. */
  peek(from) {
    const steps = flow.steps();
    let i = steps.indexOf(from === undefined ? flow.step : from);
    if (i < 0) return null;
    for (i += 1; i < steps.length; i++) if (pending(steps[i], flow.visit)) return steps[i];
    return null;
  },

  /** Moves to the next step of the visit's table; `arg` goes to its screen. */
  next(arg) {
    const to = flow.peek();
    if (!to) throw new Error("no step after " + flow.step + " in " + (flow.visit ? flow.visit.kind : "no visit"));
    flow.go(to, arg);
  },

  /**
   * 上一步: the previous step of the table that applies to this visit. The
   * signatures of that step and after it are dropped (collected again), so
   * is the choice of a live report when going back to it. From the first
   * step after "scan", back is cancelling.
   */
  back() {
    const visit = flow.visit;
    const steps = flow.steps();
    let i = steps.indexOf(flow.step);
    if (!visit || i < 0) return;
    for (i -= 1; i > 0 && !applies(steps[i], visit); i--);
    if (i <= 0) {
      flow.cancel();
      return;
    }
    for (const s of steps.slice(i)) {
      const m = /^sign:(.+)$/.exec(s);
      if (m) {
        delete visit.signatures[m[1]];
        delete visit.skipped[m[1]];
      }
    }
    if (steps[i] === "live-report") delete visit.over_report;
    flow.go(steps[i]);
  },

  /**
   * 取消登记: the server audits the cancelled visit with the step it was
   * cancelled at (the first read of its code is kept there); a failure to
   * tell it is ignored. Back to scan; `notice` is shown there.
   */
  cancel(why, notice) {
    const visit = flow.visit;
    const step = (why ? why + "-" : "") + (flow.step || "");
    if (visit) {
      post("/kiosk/visits/cancel", {
        code: visit.code || null,
        walk_in_id: visit.walk_in_id == null ? null : visit.walk_in_id,
        step,
      }).catch(() => {});
    }
    flow.go("scan", notice ? { notice } : undefined);
  },

  /** Shows step or screen `step` ("sign:agent", "scan", "error" …). */
  go(step, arg) {
    const [screen, param] = step.split(":");
    const render = SCREENS[screen];
    if (!render) throw new Error("no screen " + step);
    if (step === "scan") flow.visit = null;
    if (flow.visit && inTable(step) && !flow.steps().includes(step)) {
      throw new Error("step " + step + " is not part of a " + flow.visit.kind + " visit");
    }
    flow.step = step;
    // Moving on is activity: a countdown on screen is over, the quiet
    // period starts again.
    dismissIdle();
    render(flow, param === undefined ? arg : param);
    paintBar();
    touch();
  },
};

function inTable(step) {
  return Object.values(STEPS).some((steps) => steps.includes(step));
}

let paintBar = () => {};

// ---------- idle: countdown, then back to the scan screen ----------
function whenIdle() {
  if (boot.screen !== "scan") return null;
  const step = flow.step;
  if (!step || step === "scan") return null;
  if (step === "submit") return "later"; // the check-in is on its way
  if (flow.visit && step !== "verdict") return "countdown";
  return "reset";
}

// ---------- the handheld scanner, wherever the focus is ----------
/** Set by the scan screen while it is shown: reads a code. */
flow.onCode = null;

function scannerBurst(code) {
  if (boot.screen !== "scan") return;
  // A finished visit (or the red screen, or the rotation board, which is
  // no visit) does not hold the next one up.
  if (flow.step === "verdict" || flow.step === "refused" || flow.step === "rotation") flow.go("scan");
  if (flow.step === "scan" && flow.onCode) {
    flow.onCode(code);
    return;
  }
  const line = document.getElementById("scanner-busy");
  if (line) {
    line.hidden = false;
    line.textContent = T(
      "扫码枪读到一个二维码：请先完成或取消当前登记，再扫码。",
      "The scanner read a code: finish or cancel this visit first, then scan again."
    );
  }
}

function header() {
  document.getElementById("where").textContent = boot.project ? boot.project.name + " · " + boot.kiosk.name : "";
  document.getElementById("who").textContent = boot.operator ? boot.operator.name : "";
}

// ---------- start ----------
setCsrf(boot.csrf);
watchNetwork();
header();
if (boot.screen === "pair") flow.go("pair");
else if (boot.screen === "signin") flow.go("signin");
else {
  paintBar = createVisitBar(flow);
  setupIdle({
    idleMs: storedMs("pankeIdleMs", IDLE_MS),
    countdownMs: storedMs("pankeCountdownMs", COUNTDOWN_MS),
    whenIdle,
    giveUp: () =>
      flow.cancel(
        "idle",
        T(
          "上一位客户的登记因长时间无人操作已放弃，未登记任何内容。",
          "The last visit was given up after nobody touched the screen; nothing was recorded."
        )
      ),
    reset: () => flow.go("scan"),
  });
  // localStorage.pankeScanGapMs: the longest pause between two keys of a
  // scanner burst (default 50 ms), read at boot like the idle timings.
  listenForScanner(scannerBurst, storedMs("pankeScanGapMs", SCAN_GAP_MS));
  flow.go("scan");
}
