// Doxwatch console: keyboard shortcuts for the review queue and the CSRF header for htmx.
// Loaded as a file (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  document.addEventListener("htmx:configRequest", function (ev) {
    if (csrf && csrf.content) { ev.detail.headers["X-CSRF-Token"] = csrf.content; }
  });

  function cards() { return Array.prototype.slice.call(document.querySelectorAll("#queue .post-card")); }
  function current() {
    var el = document.activeElement;
    return el && el.closest ? el.closest("#queue .post-card") : null;
  }
  function focusCard(i) {
    var list = cards();
    if (!list.length) { return; }
    var card = list[Math.max(0, Math.min(i, list.length - 1))];
    card.focus();
    card.scrollIntoView({ block: "nearest" });
  }
  var lastIndex = 0;
  document.addEventListener("htmx:afterSettle", function () { focusCard(lastIndex); });

  document.addEventListener("keydown", function (ev) {
    if (!document.getElementById("queue")) { return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || ev.target.isContentEditable) {
      if (ev.key === "Escape") { var c0 = ev.target.closest(".post-card"); if (c0) { c0.focus(); } }
      return;
    }
    var list = cards();
    var card = current();
    var index = card ? list.indexOf(card) : -1;
    var key = ev.key;
    if (key === "j") { focusCard(index + 1); ev.preventDefault(); return; }
    if (key === "k") { focusCard(index < 0 ? 0 : index - 1); ev.preventDefault(); return; }
    if (!card) {
      if ("cdeo".indexOf(key) >= 0 && list.length) { card = list[0]; index = 0; } else { return; }
    }
    lastIndex = index;
    if (key === "c") {
      var form = card.querySelector("form.f-confirm");
      if (form) { ev.preventDefault(); form.requestSubmit(); }
    } else if (key === "d") {
      var reason = card.querySelector("form.f-dismiss input[name=reason]");
      if (reason) { ev.preventDefault(); reason.focus(); }
    } else if (key === "e") {
      var box = card.querySelector("form.f-correct input[type=checkbox]");
      if (box) { ev.preventDefault(); box.focus(); }
    } else if (key === "o") {
      var link = card.getAttribute("data-incident");
      if (link) { ev.preventDefault(); window.location.assign(link); }
    }
  });
})();
