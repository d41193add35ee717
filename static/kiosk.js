// panke kiosk: one page, one screen at a time, JSON to the server.
// The server decides everything that matters (time, verdict); this file
// only collects input. Nothing is kept after a visit or after 60 s idle.
"use strict";

(function () {
  var boot = JSON.parse(document.getElementById("boot").textContent);
  var zh = document.documentElement.lang !== "en";
  var IDLE_MS = 60000;
  var screen = document.getElementById("screen");
  var visit = null; // everything about the visit in progress
  var camera = null; // { stream, timer }
  var idleTimer = null;

  function T(cn, en) { return zh ? cn : en; }

  // ---------- small DOM helpers ----------
  function h(tag, attrs) {
    var el = document.createElement(tag);
    var kids = Array.prototype.slice.call(arguments, 2);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "on") { Object.keys(attrs.on).forEach(function (ev) { el.addEventListener(ev, attrs.on[ev]); }); }
      else if (k === "class") { el.className = attrs[k]; }
      else if (attrs[k] !== false && attrs[k] != null) { el.setAttribute(k, attrs[k]); }
    });
    kids.forEach(function (kid) {
      if (kid == null || kid === false) return;
      el.appendChild(typeof kid === "string" || typeof kid === "number" ? document.createTextNode(String(kid)) : kid);
    });
    return el;
  }
  function show() {
    stopCamera();
    screen.innerHTML = "";
    Array.prototype.slice.call(arguments).forEach(function (el) { if (el) screen.appendChild(el); });
  }
  function button(label, onClick, cls, id) {
    return h("button", { type: "button", class: cls || "", id: id || null, on: { click: onClick } }, label);
  }

  // ---------- server ----------
  function post(path, body, raw) {
    var headers = { "X-CSRF-Token": boot.csrf };
    if (!raw) headers["Content-Type"] = "application/json";
    return fetch(path, { method: "POST", headers: headers, credentials: "same-origin", body: raw ? body : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) { var e = new Error((data.error && data.error.message) || r.statusText); e.code = data.error && data.error.code; e.status = r.status; throw e; }
          return data;
        });
      }, function () {
        var e = new Error(T("无法连接判客服务器:本次操作未记录任何内容。请检查网络后重试。",
          "Cannot reach the panke server: nothing was recorded. Check the network and try again."));
        e.offline = true;
        throw e;
      });
  }
  function setNet(ok) {
    var n = document.getElementById("net");
    n.textContent = ok ? "" : T("网络已断开", "Offline");
    n.className = ok ? "net" : "net down";
  }
  window.addEventListener("online", function () { setNet(true); });
  window.addEventListener("offline", function () { setNet(false); });

  // ---------- idle: back to the scan screen, nothing personal left ----------
  function touch() {
    clearTimeout(idleTimer);
    if (boot.screen === "scan") idleTimer = setTimeout(function () { visit = null; scanScreen(); }, IDLE_MS);
  }
  ["pointerdown", "keydown", "touchstart"].forEach(function (ev) { document.addEventListener(ev, touch, true); });

  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var o = ctx.createOscillator(); var g = ctx.createGain();
      o.frequency.value = 1200; g.gain.value = 0.15; o.connect(g); g.connect(ctx.destination);
      o.start(); o.stop(ctx.currentTime + 0.12);
    } catch (e) { /* no sound is not an error */ }
  }

  function header() {
    document.getElementById("where").textContent = boot.project ? boot.project.name + " · " + boot.kiosk.name : "";
    document.getElementById("who").textContent = boot.operator ? boot.operator.name : "";
  }

  // ---------- pairing and sign-in ----------
  function pairScreen() {
    var input = h("input", { id: "pair-code", autocomplete: "off", autocapitalize: "characters", maxlength: 20 });
    var msg = h("p", { class: "msg" });
    show(h("section", { class: "panel" },
      h("h1", {}, T("配对本设备", "Pair this tablet")),
      h("p", {}, T("请输入案场经理提供的配对码。", "Enter the pairing code from the sales manager.")),
      input, msg,
      button(T("配对", "Pair"), function () {
        post("/kiosk/pair", { code: input.value }).then(function () { location.reload(); }, function (e) { msg.textContent = e.message; });
      }, "primary", "pair-go")));
    input.focus();
  }

  function signInScreen() {
    var list = h("div", { class: "grid" });
    boot.operators.forEach(function (op) {
      list.appendChild(button(op.name + (op.role === "sales" ? T("(置业顾问)", " (sales)") : T("(判客岗)", " (desk)")), function () { pinScreen(op); }, "big", "op-" + op.id));
    });
    show(h("section", { class: "panel" }, h("h1", {}, T("请选择您的姓名", "Who is at the desk?")), list));
  }

  function keypad(onDigit, onBack, onOk, okLabel) {
    var pad = h("div", { class: "keypad" });
    "123456789".split("").concat(["⌫", "0", okLabel]).forEach(function (k) {
      var cls = k === okLabel ? "primary" : (k === "⌫" ? "secondary" : "");
      pad.appendChild(button(k, function () { if (k === "⌫") onBack(); else if (k === okLabel) onOk(); else onDigit(k); }, cls, k === okLabel ? "keypad-ok" : "key-" + (k === "⌫" ? "back" : k)));
    });
    return pad;
  }

  function pinScreen(op) {
    var pin = "";
    var dots = h("p", { class: "pin" });
    var msg = h("p", { class: "msg" });
    function paint() { dots.textContent = pin.replace(/./g, "●") || "—"; }
    show(h("section", { class: "panel narrow" },
      h("h1", {}, op.name), h("p", {}, T("请输入 PIN", "Enter your PIN")), dots, msg,
      keypad(function (d) { if (pin.length < 8) { pin += d; paint(); } }, function () { pin = pin.slice(0, -1); paint(); }, function () {
        post("/kiosk/signin", { staff_id: op.id, pin: pin }).then(function () { location.reload(); },
          function (e) { pin = ""; paint(); msg.textContent = e.message; });
      }, T("登录", "Sign in")),
      button(T("返回", "Back"), signInScreen, "secondary")));
    paint();
  }

  // ---------- scanning ----------
  function stopCamera() {
    if (!camera) return;
    clearTimeout(camera.timer);
    camera.stream.getTracks().forEach(function (t) { t.stop(); });
    camera = null;
  }

  function startCamera(video, onCode, status) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { status.textContent = T("此设备没有可用的摄像头,请使用扫码枪或手动码。", "No camera: use the scanner or the manual code."); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      camera = { stream: stream, timer: null };
      video.srcObject = stream;
      video.play();
      var detector = ("BarcodeDetector" in window) ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
      var canvas = document.createElement("canvas");
      var busy = false;
      var lastServerTry = 0;
      function frame() {
        if (!camera || camera.stream !== stream) return;
        camera.timer = setTimeout(frame, 200);
        if (busy || video.readyState < 2) return;
        var w = video.videoWidth, hgt = video.videoHeight;
        if (!w || !hgt) return;
        if (detector) {
          busy = true;
          detector.detect(video).then(function (codes) { busy = false; if (codes.length) onCode(codes[0].rawValue); }, function () { busy = false; detector = null; });
          return;
        }
        var scale = Math.min(1, 640 / Math.max(w, hgt));
        canvas.width = Math.round(w * scale); canvas.height = Math.round(hgt * scale);
        var c2 = canvas.getContext("2d");
        c2.drawImage(video, 0, 0, canvas.width, canvas.height);
        if (window.jsQR) {
          var img = c2.getImageData(0, 0, canvas.width, canvas.height);
          var found = window.jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
          if (found && found.data) onCode(found.data);
        } else if (Date.now() - lastServerTry > 1500) {
          // Neither the browser nor the bundled decoder: let panke decode.
          lastServerTry = Date.now(); busy = true;
          canvas.toBlob(function (blob) {
            post("/kiosk/decode", blob, true).then(function (r) { busy = false; onCode(r.text); }, function () { busy = false; });
          }, "image/png");
        }
      }
      frame();
      status.textContent = T("请将报备二维码对准摄像头", "Hold the report QR code up to the camera");
    }, function () {
      status.textContent = T("无法打开摄像头,请使用扫码枪或手动码。", "The camera is unavailable: use the scanner or the manual code.");
    });
  }

  function scanScreen() {
    boot.screen = "scan";
    visit = null;
    touch();
    var video = h("video", { id: "camera", playsinline: "", muted: "", autoplay: "" });
    var status = h("p", { class: "msg", id: "scan-status" });
    var field = h("input", { id: "scan-field", autocomplete: "off", autocapitalize: "characters", spellcheck: "false",
      placeholder: T("扫码枪 / 手动码(8 位)", "Scanner / manual code (8)") });
    var done = false;
    function read(code) {
      code = (code || "").trim();
      if (!code || done) return;
      done = true; beep();
      status.textContent = T("正在核验…", "Checking…");
      post("/kiosk/scan", { code: code }).then(function (r) {
        if (r.status === "recorded") return verdictScreen(r.outcome, true);
        visit = { code: code, scan: r, answers: {}, signatures: {} };
        reportScreen();
      }, function (e) {
        if (e.offline) { done = false; status.textContent = e.message; return; }
        refusedScreen(e.message);
      });
    }
    field.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); read(field.value); } });
    show(h("section", { class: "scan" },
      h("div", { class: "cam" }, video),
      h("div", { class: "side" },
        h("h1", {}, T("扫描报备二维码", "Scan the report code")), status,
        field, button(T("确认手动码", "Use this code"), function () { read(field.value); }, "primary", "scan-go"),
        button(T("未报备客户登记", "Unreported walk-in"), function () { visit = { code: null, scan: null, answers: {}, signatures: {} }; phoneScreen(); }, "secondary", "walk-in"),
        button(T("退出登录", "Sign out"), function () { post("/kiosk/signout", {}).then(function () { location.reload(); }); }, "link"))));
    field.focus();
    startCamera(video, read, status);
  }

  function refusedScreen(message) {
    show(h("section", { class: "panel refused", id: "refused" },
      h("h1", {}, T("二维码无效,拒绝登记", "Code refused")), h("p", { class: "big-msg" }, message),
      h("p", {}, T("该情况已记录。请让经纪人重新出示报备二维码,或联系案场经理。", "This was logged. Ask the agent for the report's code, or call the manager.")),
      button(T("返回扫码", "Back to scanning"), scanScreen, "primary", "back-to-scan")));
    setTimeout(function () { if (document.getElementById("refused")) scanScreen(); }, 10000);
  }

  function offHoursBanner() {
    return visit.scan && visit.scan.off_hours ? h("p", { class: "banner" }, T("非判客岗工作时间:由置业顾问操作,三方仍须签字,记录将标注。",
      "Outside desk hours: the sales consultant operates the kiosk; all three still sign; the record is flagged.")) : null;
  }

  function reportScreen() {
    var r = visit.scan.report;
    var early = r.minutes_since_filing < r.min_gap_minutes;
    show(h("section", { class: "panel" }, offHoursBanner(),
      h("h1", {}, T("报备信息", "The report")),
      h("dl", { class: "facts" },
        h("dt", {}, T("渠道公司", "Agency")), h("dd", { id: "r-agency" }, r.agency),
        h("dt", {}, T("经纪人", "Agent")), h("dd", {}, r.agent),
        h("dt", {}, T("报备客户", "Reported customer")), h("dd", {}, r.customer_name + " " + r.masked_phone),
        h("dt", {}, T("报备时间", "Filed")), h("dd", {}, r.filed_at + T("(" + r.minutes_since_filing + " 分钟前)", " (" + r.minutes_since_filing + " min ago)"))),
      early ? h("p", { class: "banner warn" }, T("报备距今不足 " + r.min_gap_minutes + " 分钟", "Filed less than " + r.min_gap_minutes + " minutes ago")) : null,
      button(T("开始登记:请客户输入手机号", "Start: the customer types their phone"), phoneScreen, "primary", "start")));
  }

  // ---------- the customer's phone on an on-screen keypad ----------
  function phoneScreen() {
    var digits = "";
    var shown = h("p", { class: "phone-shown", id: "phone-shown" });
    var msg = h("p", { class: "msg" });
    function paint() { shown.textContent = (digits.slice(0, 3) + " " + digits.slice(3, 7) + " " + digits.slice(7)).trim() || "___ ____ ____"; }
    show(h("section", { class: "panel narrow" },
      h("h1", {}, T("请客户输入本人手机号", "Customer: type your mobile number")), shown, msg,
      keypad(function (d) { if (digits.length < 11) { digits += d; paint(); } }, function () { digits = digits.slice(0, -1); paint(); }, function () {
        if (!/^1[3-9]\d{9}$/.test(digits)) { msg.textContent = T("请输入 11 位大陆手机号", "Enter an 11-digit mainland mobile number"); return; }
        visit.phone = digits; nameScreen();
      }, T("下一步", "Next"))));
    paint();
  }

  function nameScreen() {
    var input = h("input", { id: "customer-name", maxlength: 40, autocomplete: "off" });
    var warn = h("p", { class: "banner warn", id: "name-warning", hidden: "" });
    var reported = visit.scan ? visit.scan.report.customer_name : null;
    show(h("section", { class: "panel" }, offHoursBanner(),
      h("h1", {}, T("核对客户姓名", "Confirm the customer's name")),
      reported ? h("p", {}, T("报备姓名:", "Reported name: "), h("strong", {}, reported)) : null,
      h("label", {}, T("到访客户姓名(请与证件一致)", "Name of the visitor (as on their ID)"), input), warn,
      button(T("下一步", "Next"), function () {
        var name = input.value.trim();
        if (!name) { warn.hidden = false; warn.textContent = T("请填写客户姓名", "Enter the customer's name"); return; }
        visit.name = name;
        if (reported && warn.dataset.shown !== name) {
          post("/kiosk/name-check", { reported: reported, name: name }).then(function (r) {
            if (r.near_miss) {
              warn.hidden = false; warn.dataset.shown = name;
              warn.textContent = T("注意:姓氏读音相近但不一致(如 黄/王),请再次核实。确认无误请再点「下一步」。", "Careful: the surnames sound alike but differ (e.g. 黄/王). Check again, then press Next.");
            } else { questionScreen(); }
          }, function (e) { warn.hidden = false; warn.textContent = e.message; });
          return;
        }
        if (visit.scan) questionScreen(); else salesScreen();
      }, "primary", "name-next")));
    input.focus();
  }

  // ---------- the three questions (三问) ----------
  function questionScreen() {
    var a = visit.answers;
    function yesNo(key, q) {
      var row = h("div", { class: "question" }, h("p", {}, q));
      [[true, T("是", "Yes")], [false, T("否", "No")]].forEach(function (opt) {
        row.appendChild(button(opt[1], function () {
          a[key] = opt[0];
          Array.prototype.forEach.call(row.querySelectorAll("button"), function (b) { b.classList.remove("chosen"); });
          this.classList.add("chosen");
        }, "answer", key + "-" + (opt[0] ? "yes" : "no")));
      });
      return row;
    }
    function tick(key, label) {
      var box = h("input", { type: "checkbox", id: key });
      box.addEventListener("change", function () { a[key] = box.checked; });
      return h("label", { class: "tick" }, box, " ", label);
    }
    var msg = h("p", { class: "msg" });
    show(h("section", { class: "panel" }, offHoursBanner(),
      h("h1", {}, T("请判客岗询问客户", "Ask the customer")),
      yesNo("first_visit", T("1. 您是第一次来我们售楼处吗?", "1. Is this your first visit?")),
      yesNo("contacted_before", T("2. 之前是否有人联系过您?", "2. Has anyone contacted you before?")),
      yesNo("customer_confirms_agent", T("3. 您是由这位经纪人(" + visit.scan.report.agent + ")带来的吗?", "3. Did this agent (" + visit.scan.report.agent + ") bring you?")),
      tick("agent_present", T("经纪人本人在场陪同", "The agent is here with the customer")),
      tick("badge_seen", T("已查看经纪人工作证", "I have seen the agent's work badge")),
      msg,
      button(T("下一步", "Next"), function () {
        if (a.first_visit == null || a.contacted_before == null || a.customer_confirms_agent == null) { msg.textContent = T("请完成三个问题", "Answer all three questions"); return; }
        salesScreen();
      }, "primary", "questions-next")));
  }

  function salesScreen() {
    var list = (visit.scan && visit.scan.sales) || boot.operators.filter(function (o) { return o.role === "sales"; });
    var next = visit.scan && visit.scan.next_sales;
    visit.sales_id = next ? next.id : null;
    var box = h("div", { class: "grid" });
    function paint() {
      box.innerHTML = "";
      list.forEach(function (s) {
        box.appendChild(button(s.name + (next && s.id === next.id ? T("(轮到)", " (next)") : ""), function () { visit.sales_id = s.id; paint(); },
          s.id === visit.sales_id ? "big chosen" : "big", "sales-" + s.id));
      });
    }
    paint();
    show(h("section", { class: "panel" },
      h("h1", {}, T("接待置业顾问(按轮排)", "Sales consultant (by rotation)")),
      list.length ? box : h("p", {}, T("本项目没有置业顾问名单", "No sales consultants are set up")),
      button(visit.scan ? T("下一步:签字", "Next: signatures") : T("登记为自然到访", "Record as a natural visit"),
        function () { if (visit.scan) signScreen(0); else submit(); }, "primary", "sales-next")));
  }

  // ---------- signatures ----------
  var SIGNERS = [["customer", T("客户签字", "Customer signs")], ["agent", T("经纪人签字", "Agent signs")], ["sales", T("置业顾问签字", "Sales consultant signs")]];

  function signScreen(i) {
    var signer = SIGNERS[i];
    var statement = (visit.scan.statements || {})[signer[0]] || "";
    var pad = signaturePad();
    var msg = h("p", { class: "msg" });
    show(h("section", { class: "panel sign" }, offHoursBanner(),
      h("h1", {}, signer[1] + "(" + (i + 1) + "/3)"),
      h("p", { class: "statement" }, statement),
      pad.el, msg,
      h("div", { class: "row" },
        button(T("清除重签", "Clear"), function () { pad.clear(); msg.textContent = ""; }, "secondary", "sign-clear"),
        button(i < 2 ? T("确认签字,下一位", "Done, next signer") : T("确认签字并提交", "Done, submit"), function () {
          if (!pad.enough()) { msg.textContent = T("签名过于简单或为空,请重新签名", "The signature is empty or too small; please sign again"); return; }
          visit.signatures[signer[0]] = { signer: signer[0], png: pad.png(), strokes: pad.strokes() };
          if (i < 2) signScreen(i + 1); else submit();
        }, "primary", "sign-next"))));
    pad.fit();
  }

  // A pad that keeps its strokes (CSS pixels, pressure, time) so a rotation
  // or resize redraws them sharply instead of losing them.
  function signaturePad() {
    var canvas = h("canvas", { class: "pad", id: "pad" });
    var strokes = []; var current = null; var t0 = Date.now(); var viaTouch = false;
    function ctx() { return canvas.getContext("2d"); }
    function fit() {
      var r = canvas.getBoundingClientRect(); var dpr = window.devicePixelRatio || 1;
      canvas.width = Math.max(1, Math.round(r.width * dpr)); canvas.height = Math.max(1, Math.round(r.height * dpr));
      var c = ctx(); c.setTransform(dpr, 0, 0, dpr, 0, 0); redraw();
    }
    function redraw() {
      var c = ctx(); c.clearRect(0, 0, canvas.width, canvas.height);
      c.lineCap = "round"; c.lineJoin = "round"; c.strokeStyle = "#111";
      strokes.forEach(function (s) { drawStroke(c, s, 1, 1); });
    }
    function drawStroke(c, s, sx, sy) {
      for (var k = 1; k < s.length; k++) {
        c.lineWidth = 1.5 + 2.5 * (s[k][2] || 0.5);
        c.beginPath(); c.moveTo(s[k - 1][0] * sx, s[k - 1][1] * sy); c.lineTo(s[k][0] * sx, s[k][1] * sy); c.stroke();
      }
      if (s.length === 1) { c.beginPath(); c.arc(s[0][0] * sx, s[0][1] * sy, 1.5, 0, 6.3); c.fill(); }
    }
    function point(x, y, p) { var r = canvas.getBoundingClientRect(); return [Math.round((x - r.left) * 10) / 10, Math.round((y - r.top) * 10) / 10, p || 0.5, Date.now() - t0]; }
    function begin(p) { current = [p]; strokes.push(current); }
    function extend(p) { if (!current) return; current.push(p); var c = ctx(); c.lineCap = "round"; c.strokeStyle = "#111"; drawStroke(c, current.slice(-2), 1, 1); }
    function end() { current = null; }
    canvas.addEventListener("pointerdown", function (e) { if (viaTouch) return; canvas.setPointerCapture(e.pointerId); begin(point(e.clientX, e.clientY, e.pressure)); e.preventDefault(); });
    canvas.addEventListener("pointermove", function (e) { if (viaTouch || !current) return; extend(point(e.clientX, e.clientY, e.pressure)); e.preventDefault(); });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (ev) { canvas.addEventListener(ev, function () { if (!viaTouch) end(); }); });
    // iPad Safari's Scribble can swallow pointer events from a pencil:
    // take touch events over when they arrive, and keep the page still.
    canvas.addEventListener("touchstart", function (e) { viaTouch = true; var t = e.touches[0]; begin(point(t.clientX, t.clientY, t.force)); e.preventDefault(); }, { passive: false });
    canvas.addEventListener("touchmove", function (e) { var t = e.touches[0]; extend(point(t.clientX, t.clientY, t.force)); e.preventDefault(); }, { passive: false });
    canvas.addEventListener("touchend", function (e) { end(); e.preventDefault(); }, { passive: false });
    window.addEventListener("resize", fit);
    return {
      el: canvas, fit: fit,
      clear: function () { strokes = []; redraw(); },
      strokes: function () { return strokes; },
      // Enough ink to be a signature, not a tap: path length and spread.
      enough: function () {
        var len = 0, minX = 1e9, maxX = -1e9, minY = 1e9, maxY = -1e9;
        strokes.forEach(function (s) { s.forEach(function (p, k) {
          minX = Math.min(minX, p[0]); maxX = Math.max(maxX, p[0]); minY = Math.min(minY, p[1]); maxY = Math.max(maxY, p[1]);
          if (k) len += Math.hypot(p[0] - s[k - 1][0], p[1] - s[k - 1][1]);
        }); });
        var w = canvas.getBoundingClientRect().width;
        return len > 150 && (maxX - minX) > w * 0.2 && (maxY - minY) > 10;
      },
      // A fixed-size PNG (600×240), whatever the screen, for the record.
      png: function () {
        var out = document.createElement("canvas"); out.width = 600; out.height = 240;
        var r = canvas.getBoundingClientRect(); var c = out.getContext("2d");
        c.lineCap = "round"; c.lineJoin = "round"; c.strokeStyle = "#111"; c.fillStyle = "#111";
        var sx = 600 / r.width, sy = 240 / r.height;
        strokes.forEach(function (s) { drawStroke(c, s, sx, sy); });
        return out.toDataURL("image/png");
      }
    };
  }

  // ---------- record ----------
  function submit() {
    var busy = h("p", { class: "big-msg" }, T("正在登记,请稍候…", "Recording…"));
    var sigs = Object.keys(visit.signatures).map(function (k) { return visit.signatures[k]; });
    var a = visit.answers;
    var body = {
      code: visit.code, customer_name: visit.name, customer_phone: visit.phone,
      agent_present: !!a.agent_present, badge_seen: !!a.badge_seen, first_visit: a.first_visit, contacted_before: a.contacted_before,
      customer_confirms_agent: !!a.customer_confirms_agent, sales_id: visit.sales_id || null, signatures: sigs
    };
    show(h("section", { class: "panel" }, busy));
    post("/kiosk/checkins", body).then(function (r) { verdictScreen(r, false); }, function (e) {
      // Nothing was recorded; keep the visit so the desk can retry.
      show(h("section", { class: "panel refused" }, h("h1", {}, T("未能登记", "Not recorded")), h("p", { class: "big-msg" }, e.message),
        button(T("重试", "Try again"), submit, "primary", "retry"), button(T("放弃,返回扫码", "Give up, back to scanning"), scanScreen, "secondary")));
    });
  }

  function verdictScreen(r, existing) {
    var valid = r.verdict === "valid";
    var reasons = h("ul", { class: "reasons" });
    (r.reasons || []).forEach(function (x) { reasons.appendChild(h("li", {}, zh ? x.zh : x.en)); });
    show(h("section", { class: "panel verdict " + (valid ? "valid" : "invalid"), id: "verdict" },
      existing || r.already_recorded ? h("p", { class: "banner" }, T("该报备已登记过,以下为原记录,不会重复登记。", "This report was already checked in; this is the existing record.")) : null,
      h("h1", { id: "verdict-title" }, valid ? T("有效带看", "Valid visit") : T("自然到访", "Natural visit")),
      valid ? h("p", { class: "big-msg" }, T("客户保护期至 ", "Protected until ") + r.protected_until) : reasons,
      r.off_hours ? h("p", {}, T("非判客岗工作时间到访(已标注)", "Off-hours visit (flagged)")) : null,
      r.near_miss ? h("p", { class: "banner warn" }, r.near_miss.warning) : null,
      h("p", { class: "record-no" }, T("记录编号 ", "Record ") + r.record),
      h("div", { class: "row" },
        h("a", { class: "button secondary", href: r.sheet, target: "_blank", id: "print-sheet" }, T("打印带看确认单", "Print the confirmation sheet")),
        button(T("完成", "Done"), scanScreen, "primary", "verdict-done"))));
  }

  // ---------- start ----------
  header();
  if (boot.screen === "pair") pairScreen();
  else if (boot.screen === "signin") signInScreen();
  else scanScreen();
})();
