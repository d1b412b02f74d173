// The Print button of printable pages (the invoice). The Content-Security-Policy allows no inline
// handlers, hence this file; without JavaScript the button stays hidden and the page says to use
// the browser's Print command.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
