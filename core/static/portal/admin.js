// The support admin: on a narrow screen Django lets tables of inlines and lists scroll sideways
// inside their own box. A keyboard user must be able to reach that box to scroll it, so each
// one that scrolls takes the focus (tabindex 0) and is named for screen readers.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll(".inline-group, #changelist .results")) {
    if (box.scrollWidth > box.clientWidth) {
      box.tabIndex = 0;
      if (!box.hasAttribute("aria-label")) {
        const heading = box.querySelector("h2");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", heading ? heading.textContent.trim() : document.title);
      }
    }
  }
});
