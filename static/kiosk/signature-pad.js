// The signature pad. The pad keeps the 5:2 aspect (kiosk.css) at any size,
// and its strokes are kept in the pad's own 600×240 space
// ([x, y, pressure, t_ms]: 0.1 px, 0.001 pressure, whole ms), so a rotation
// or resize only rescales them. Since issue 16 the strokes ARE the
// signature: they are sent alone, the server stores them compactly and
// draws the image from them (src/domain/signature/pen.rs, render.rs).
//
// "Enough ink" is THE SERVER'S RULE (pen.rs, path_length, ink_cells +
// check_ink), so a
// signature accepted here is not refused there as blank:
//   - mark the 4 px cells (150 × 60) that every point falls in, and, along
//     each segment, the points every 2 px between its ends
//     (steps = ceil(length / 2); points i / steps for 0 < i < steps);
//   - spread x / y = max - min of the points' x / y;
//   - blank when covered * 1000 < 9000 cells, spread x < 75 or
//     spread y < 12; filled (no signature) when covered * 2 > 9000 or the
//     pen travelled more than 20,000 px (sum of segment lengths, sqrt).
// Keep this in step with the Rust file if it ever changes.

import { h } from "./dom.js";

export const PAD_WIDTH = 600;
export const PAD_HEIGHT = 240;
const MAX_POINTS = 5000;
const MAX_STROKES = 200;
const INK = "#111";

const CELL = 4;
const COLUMNS = PAD_WIDTH / CELL;
const ROWS = PAD_HEIGHT / CELL;

/** ink_cells() of pen.rs: covered cells and the points' extent. */
export function inkCells(strokes) {
  const grid = new Uint8Array(COLUMNS * ROWS);
  const mark = (x, y) => {
    const c = Math.min(Math.floor(x / CELL), COLUMNS - 1);
    const r = Math.min(Math.floor(y / CELL), ROWS - 1);
    grid[r * COLUMNS + c] = 1;
  };
  let minX = Number.MAX_VALUE;
  let maxX = 0;
  let minY = Number.MAX_VALUE;
  let maxY = 0;
  for (const stroke of strokes) {
    for (let k = 0; k < stroke.length; k++) {
      const [x, y] = stroke[k];
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
      mark(x, y);
      if (k > 0) {
        const [x0, y0] = stroke[k - 1];
        // sqrt, not hypot: correctly rounded alike in JS and Rust.
        const steps = Math.ceil(Math.sqrt((x - x0) * (x - x0) + (y - y0) * (y - y0)) / 2);
        for (let i = 1; i < steps; i++) mark(x0 + ((x - x0) * i) / steps, y0 + ((y - y0) * i) / steps);
      }
    }
  }
  let covered = 0;
  for (const v of grid) covered += v;
  if (!covered) return { covered: 0, spreadX: 0, spreadY: 0 };
  return { covered, spreadX: maxX - minX, spreadY: maxY - minY };
}

/** check_ink() of pen.rs: true when the strokes are a signature. */
export function enoughInk(strokes) {
  let travel = 0;
  for (const s of strokes) {
    for (let k = 1; k < s.length; k++) {
      const dx = s[k][0] - s[k - 1][0];
      const dy = s[k][1] - s[k - 1][1];
      travel += Math.sqrt(dx * dx + dy * dy);
    }
  }
  if (travel > 20000) return false;
  const { covered, spreadX, spreadY } = inkCells(strokes);
  const cells = COLUMNS * ROWS;
  if (covered * 1000 < cells || spreadX < PAD_WIDTH / 8 || spreadY < PAD_HEIGHT / 20) return false;
  return covered * 2 <= cells;
}

/**
 * The strokes in the stored `PK1` form (src/domain/signature/pen.rs), as
 * base64: "PK1", the stroke count, per stroke its point count and its
 * points as zig-zag varints of the change in x and y (0.1 px), pressure
 * (0.001) and time (ms). The server stores exactly these strokes.
 */
export function encodePen(strokes) {
  const out = [0x50, 0x4b, 0x31];
  const varint = (v) => {
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
  };
  const zigzag = (v) => (v < 0 ? -2 * v - 1 : 2 * v);
  const kept = strokes.filter((s) => s.length);
  varint(kept.length);
  let last = [0, 0, 0, 0];
  for (const stroke of kept) {
    varint(stroke.length);
    for (const [x, y, p, t] of stroke) {
      const q = [Math.round(x * 10), Math.round(y * 10), Math.round(p * 1000), Math.round(t)];
      for (let i = 0; i < 4; i++) varint(zigzag(q[i] - last[i]));
      last = q;
    }
  }
  let text = "";
  for (const b of out) text += String.fromCharCode(b);
  return btoa(text);
}

function drawStroke(c, s) {
  for (let k = 1; k < s.length; k++) {
    c.lineWidth = 1.5 + 2.5 * (s[k][2] || 0.5);
    c.beginPath();
    c.moveTo(s[k - 1][0], s[k - 1][1]);
    c.lineTo(s[k][0], s[k][1]);
    c.stroke();
  }
  if (s.length === 1) {
    c.beginPath();
    c.arc(s[0][0], s[0][1], 1.5, 0, 6.3);
    c.fill();
  }
}

function pen(c) {
  c.lineCap = "round";
  c.lineJoin = "round";
  c.strokeStyle = INK;
  c.fillStyle = INK;
}

/** Where the signer writes: a light baseline and, on an empty pad, a hint (screen only, never in the PNG). */
function guide(c, hint, empty) {
  c.save();
  c.strokeStyle = "#c5ccd8";
  c.lineWidth = 1.5;
  c.setLineDash([8, 6]);
  c.beginPath();
  c.moveTo(40, 190);
  c.lineTo(560, 190);
  c.stroke();
  if (empty && hint) {
    c.fillStyle = "#aab2c0";
    c.font = "28px sans-serif";
    c.textAlign = "center";
    c.fillText(hint, 300, 130);
  }
  c.restore();
}

export class SignaturePad {
  /** `hint`: the words on the empty pad (e.g. 请客户在此签名). */
  constructor(hint) {
    this._hint = hint || "";
    this.el = h("canvas", { class: "pad", id: "pad" });
    this._strokes = [];
    this._current = null;
    this._t0 = Date.now();
    this._viaTouch = false;
    this._listeners = [];
    this.fit = this.fit.bind(this);
    const on = (target, ev, fn, opts) => {
      target.addEventListener(ev, fn, opts);
      this._listeners.push([target, ev, fn, opts]);
    };
    const canvas = this.el;
    on(canvas, "pointerdown", (e) => {
      if (this._viaTouch) return;
      try {
        canvas.setPointerCapture(e.pointerId);
      } catch (_) {
        /* an already released pointer: draw anyway */
      }
      this._begin(this._point(e.clientX, e.clientY, e.pressure));
      e.preventDefault();
    });
    on(canvas, "pointermove", (e) => {
      if (this._viaTouch || !this._current) return;
      this._extend(this._point(e.clientX, e.clientY, e.pressure));
      e.preventDefault();
    });
    for (const ev of ["pointerup", "pointercancel", "pointerleave"]) {
      on(canvas, ev, () => {
        if (!this._viaTouch) this._end();
      });
    }
    // iPad Safari's Scribble can swallow pointer events from a pencil:
    // take touch events over when they arrive, and keep the page still.
    on(
      canvas,
      "touchstart",
      (e) => {
        this._viaTouch = true;
        const t = e.touches[0];
        this._begin(this._point(t.clientX, t.clientY, t.force));
        e.preventDefault();
      },
      { passive: false }
    );
    on(
      canvas,
      "touchmove",
      (e) => {
        const t = e.touches[0];
        this._extend(this._point(t.clientX, t.clientY, t.force));
        e.preventDefault();
      },
      { passive: false }
    );
    on(
      canvas,
      "touchend",
      (e) => {
        this._end();
        e.preventDefault();
      },
      { passive: false }
    );
    on(window, "resize", this.fit);
    on(window, "orientationchange", this.fit);
    // The pad's box can change without a window resize (a banner above it
    // appears): watch the box itself where the browser can.
    if (typeof ResizeObserver === "function") {
      this._observer = new ResizeObserver(() => this.fit());
      this._observer.observe(canvas);
    }
  }

  /** Removes every listener, the window's `resize` one included. */
  destroy() {
    for (const [target, ev, fn, opts] of this._listeners) target.removeEventListener(ev, fn, opts);
    this._listeners = [];
    if (this._observer) this._observer.disconnect();
    this._observer = null;
    this._current = null;
  }

  /**
   * Sizes the canvas to its box (call once it is in the page) and redraws
   * the strokes scaled to it: one stroke unit is width / 600 CSS pixels.
   */
  fit() {
    const canvas = this.el;
    const r = this._box();
    if (!r.width || !r.height) return;
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(r.width * dpr));
    const height = Math.max(1, Math.round(r.height * dpr));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const k = r.width / PAD_WIDTH;
    canvas.getContext("2d").setTransform(dpr * k, 0, 0, dpr * k, 0, 0);
    this._redraw();
  }

  clear() {
    this._strokes = [];
    this._current = null;
    this._redraw();
  }

  strokes() {
    return this._strokes;
  }

  /**
   * The signature as the server will see it: { strokes, ok }. `ok` is
   * false when the server would refuse it (too little ink, too many points).
   */
  signature() {
    const strokes = this._strokes.filter((s) => s.length);
    const points = strokes.reduce((n, s) => n + s.length, 0);
    const ok = strokes.length > 0 && strokes.length <= MAX_STROKES && points <= MAX_POINTS && enoughInk(strokes);
    return { strokes, ok };
  }

  /** True when signature().ok: enough ink by the server's rule. */
  enough() {
    return this.signature().ok;
  }

  _ctx() {
    return this.el.getContext("2d");
  }

  _redraw() {
    const c = this._ctx();
    c.save();
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.clearRect(0, 0, this.el.width, this.el.height);
    c.restore();
    guide(c, this._hint, !this._strokes.length);
    pen(c);
    this._strokes.forEach((s) => drawStroke(c, s));
  }

  /** The drawing surface in CSS pixels: the content box, inside the border. */
  _box() {
    const canvas = this.el;
    const r = canvas.getBoundingClientRect();
    return { left: r.left + canvas.clientLeft, top: r.top + canvas.clientTop, width: canvas.clientWidth, height: canvas.clientHeight };
  }

  /** A pointer position as a point in the pad's 600×240 space. */
  _point(x, y, p) {
    const r = this._box();
    const k = r.width ? PAD_WIDTH / r.width : 1;
    const clamp = (v, max) => Math.min(max, Math.max(0, Math.round(v * 10) / 10));
    // A pen's force may exceed 1 (iOS): the record keeps 0..1.
    const pressure = Math.min(1, Math.max(0, Math.round((p || 0.5) * 1000) / 1000));
    const t = Math.min(3600000, Math.max(0, Math.round(Date.now() - this._t0)));
    return [clamp((x - r.left) * k, PAD_WIDTH), clamp((y - r.top) * k, PAD_HEIGHT), pressure, t];
  }

  _begin(p) {
    if (!p.every(Number.isFinite)) return;
    const first = !this._strokes.length;
    this._current = [p];
    this._strokes.push(this._current);
    if (first) this._redraw(); // the hint goes as the pen comes down
  }

  _extend(p) {
    if (!this._current || !p.every(Number.isFinite)) return;
    this._current.push(p);
    const c = this._ctx();
    pen(c);
    drawStroke(c, this._current.slice(-2));
  }

  _end() {
    this._current = null;
  }
}
