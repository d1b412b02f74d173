// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    // The first problem of a form gets focus, so keyboard and screen-reader users hear it first.
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }

    // What only makes sense with this file (an "as you make them" hint) is shown by it; what
    // only makes sense without it (a Save button under autosaving fields) is hidden by it.
    document.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });
    document.querySelectorAll("[data-no-js-only]").forEach(function (el) { el.hidden = true; });

    // The language picker switches on change; its button is only needed without JavaScript.
    document.querySelectorAll("[data-autosubmit]").forEach(function (select) {
      var fallback = select.form.querySelector("[data-autosubmit-fallback]");
      if (fallback) { fallback.hidden = true; }
      select.addEventListener("change", function () { select.form.submit(); });
    });

    // Menus (<details>) close with Escape and when clicking elsewhere.
    var menus = document.querySelectorAll("[data-menu]");
    document.addEventListener("click", function (event) {
      menus.forEach(function (menu) {
        if (menu.open && !menu.contains(event.target)) { menu.open = false; }
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      menus.forEach(function (menu) {
        if (menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
      });
    });

    // The side navigation folds into a menu on small screens (it stays open without JavaScript).
    var narrow = window.matchMedia("(max-width: 720px)");
    var folds = document.querySelectorAll(".sidenav__fold");
    function fitNavigation() {
      folds.forEach(function (fold) { fold.open = !narrow.matches; });
    }
    fitNavigation();
    narrow.addEventListener("change", fitNavigation);

    // Copy buttons of one-time secrets.
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var field = document.getElementById(button.getAttribute("data-copy"));
        navigator.clipboard.writeText(field.value || field.textContent).then(function () {
          var status = document.getElementById(button.getAttribute("data-copy") + "-status");
          if (status) { status.textContent = button.getAttribute("data-copied"); }
        });
      });
    });
  });
})();
