// The back office's few behaviours, without inline scripts (the CSP
// forbids them): confirm destructive forms, keep a form from being sent
// twice, and show an export's progress while it downloads.
"use strict";

// Exports stream: read them with fetch to show how much has arrived, then
// hand the file to the browser. Without fetch, links and forms still work.
function exportWithProgress(el, url, init) {
  if (!window.fetch || !window.ReadableStream || !window.URL.createObjectURL) return false;
  var status = document.getElementById(el.getAttribute("data-export"));
  var say = function (text) { if (status) { status.hidden = false; status.textContent = text; } };
  var progress = el.getAttribute("data-progress") || "…";
  say(progress);
  fetch(url, init).then(function (response) {
    if (!response.ok) throw new Error(String(response.status));
    var reader = response.body.getReader();
    var chunks = [];
    var received = 0;
    var name = (response.headers.get("content-disposition") || "").match(/filename="?([^";]+)"?/);
    function pump() {
      return reader.read().then(function (step) {
        if (step.done) return;
        chunks.push(step.value);
        received += step.value.length;
        say(progress + " " + Math.round(received / 1024) + " KB");
        return pump();
      });
    }
    return pump().then(function () {
      var blob = new Blob(chunks, { type: response.headers.get("content-type") || "application/octet-stream" });
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name ? name[1] : "export";
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      say((el.getAttribute("data-done") || "✓") + " (" + Math.round(received / 1024) + " KB)");
    });
  }).catch(function (e) {
    say((el.getAttribute("data-failed") || "failed") + " (" + e.message + ")");
  });
  return true;
}

document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
    return;
  }
  if (form.hasAttribute("data-export")) {
    var init = { method: "POST", credentials: "same-origin", body: new URLSearchParams(new FormData(form)) };
    if (exportWithProgress(form, form.action, init)) event.preventDefault();
    return;
  }
  if (form.method.toLowerCase() === "post") {
    if (form.dataset.sent === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) {
      b.setAttribute("aria-busy", "true");
    });
  }
});

document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-export]");
  if (link && exportWithProgress(link, link.href, { credentials: "same-origin" })) event.preventDefault();
});

// Back from the browser's cache: forms may be sent again.
window.addEventListener("pageshow", function () {
  Array.prototype.forEach.call(document.querySelectorAll("form[data-sent]"), function (f) { delete f.dataset.sent; });
});
