// Confirms destructive forms (cancel a report) without inline scripts,
// so the Content-Security-Policy can forbid them.
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
