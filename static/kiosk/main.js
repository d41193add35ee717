// panke kiosk — entry point (native ES modules, no bundler; every relative
// import inherits the versioned /static/v-…/ prefix of this file).
//   main.js           boot JSON, idle reset, the STEP TABLE and the driver
//   api.js            post() to the server, error objects, online indicator
//   dom.js            h(), button(), show(), onLeave() (per-screen cleanup)
//   i18n.js           T(cn, en) and the language flag (<html lang>)
//   keypad.js         the on-screen keypad (PIN, phone)
//   camera.js         camera → BarcodeDetector / jsQR / POST /kiosk/decode
//   signature-pad.js  the pad; its ink test is the server's rule
//   screens/*.js      one module per screen: render(flow, arg); a screen
//                     moves on with flow.next() or flow.go(name), never by
//                     calling another screen
//
// The server decides everything that matters (time, verdict); the kiosk
// only collects input. Nothing is kept after a visit or after 60 s idle.

import { setCsrf, watchNetwork } from "./api.js";
import * as errorScreen from "./screens/error.js";
import * as liveReport from "./screens/live-report.js";
import * as name from "./screens/name.js";
import * as pair from "./screens/pair.js";
import * as phone from "./screens/phone.js";
import * as questions from "./screens/questions.js";
import * as refused from "./screens/refused.js";
import * as report from "./screens/report.js";
import * as sales from "./screens/sales.js";
import * as scan from "./screens/scan.js";
import * as sign from "./screens/sign.js";
import * as signin from "./screens/signin.js";
import * as submit from "./screens/submit.js";
import * as verdict from "./screens/verdict.js";

/**
 * The flow of a visit, step by step. A step is a screen name, or
 * "sign:<signer>" for the sign screen of one signer. A reported visit
 * (scanned code) asks the three questions and collects three signatures.
 * A walk-in (no report) collects none and is recorded as a natural visit:
 * the walk-in button first starts it on the server (POST /kiosk/walk-ins,
 * the arrival instant; visit.walk_in_id), and once the phone is typed the
 * server is asked for the customer's live reports (POST /kiosk/provisional,
 * visit.live_reports). "live-report" shows them: wait for the agent (back
 * to scan, the walk-in abandoned) or register over one (visit.over_report).
 * It is skipped when there is none, and entered again from "submit" when
 * the check-in is refused with 409 LIVE_REPORT_FOUND (a report filed
 * meanwhile).
 */
export const STEPS = Object.freeze({
  reported: Object.freeze([
    "scan",
    "report",
    "phone",
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

/**
 * Screens outside the step table: before sign-in (the page reloads after
 * each), and the two detours — "refused" (from scan, back to scan) and
 * "error" (from submit: retry, re-sign one signer, or back to scan).
 * "verdict" is also entered straight from "scan" for a report already
 * recorded (no visit then).
 */
const SCREENS = {
  pair: pair.render,
  signin: signin.render,
  pin: signin.renderPin,
  scan: scan.render,
  refused: refused.render,
  error: errorScreen.render,
  report: report.render,
  "live-report": liveReport.render,
  phone: phone.render,
  name: name.render,
  questions: questions.render,
  sales: sales.render,
  sign: sign.render,
  submit: submit.render,
  verdict: verdict.render,
};

const IDLE_MS = 60000;

const boot = JSON.parse(document.getElementById("boot").textContent);

/**
 * A step still to do: a signature kept from an earlier try is not redone;
 * "live-report" only while there are live reports and none was chosen.
 */
function pending(step, visit) {
  if (step === "live-report") return !!(visit.live_reports && visit.live_reports.length) && visit.over_report == null;
  const m = /^sign:(.+)$/.exec(step);
  return !(m && visit.signatures[m[1]]);
}

/** The driver: the only thing that moves between screens. */
const flow = {
  boot,
  /**
   * The visit in progress: { kind, code, scan, phone, name, answers,
   * sales_id, signatures }, and for a walk-in { walk_in_id, live_reports,
   * over_report }.
   */
  visit: null,
  /** The step (or off-table screen) now shown. */
  step: null,

  /** The step table of the visit in progress ([] when there is none). */
  steps() {
    return flow.visit ? STEPS[flow.visit.kind] : [];
  },

  /** Starts a visit of `kind` ("reported" or "walkIn") and moves past "scan". */
  begin(kind, fields) {
    if (!STEPS[kind]) throw new Error("no flow " + kind);
    flow.visit = Object.assign({ kind, code: null, scan: null, answers: {}, signatures: {} }, fields);
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
    render(flow, param === undefined ? arg : param);
    if (step === "scan") touch();
  },
};

function inTable(step) {
  return Object.values(STEPS).some((steps) => steps.includes(step));
}

// ---------- idle: back to the scan screen, nothing personal left ----------
let idleTimer = null;
function touch() {
  clearTimeout(idleTimer);
  if (boot.screen === "scan") idleTimer = setTimeout(() => flow.go("scan"), IDLE_MS);
}
for (const ev of ["pointerdown", "keydown", "touchstart"]) document.addEventListener(ev, touch, true);

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
else flow.go("scan");
