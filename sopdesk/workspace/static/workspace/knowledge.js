// The ticket page's knowledge panel: "Insert solution" puts an article's solution into the reply composer.
"use strict";

(function () {
  const composer = () => document.getElementById("composer-body");

  // The buttons need this script and a composer (a reader who cannot reply has none); the panel
  // arrives after the page and again after each link or unlink, so they are revealed on every load.
  function revealButtons(root) {
    if (!composer()) return;
    root.querySelectorAll("[data-insert-solution]").forEach((button) => {
      button.hidden = false;
    });
  }

  // Insert at the cursor (replacing a selection), as the canned responses do; the text is a value,
  // never markup. The composer's input event keeps the draft.
  function insert(text) {
    const body = composer();
    if (!body || !text) return;
    const start = body.selectionStart ?? body.value.length;
    const end = body.selectionEnd ?? body.value.length;
    const before = body.value.slice(0, start);
    const separator = before && !before.endsWith("\n") ? "\n" : "";
    body.value = before + separator + text + body.value.slice(end);
    const cursor = start + separator.length + text.length;
    body.focus();
    body.setSelectionRange(cursor, cursor);
    body.dispatchEvent(new Event("input"));
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-insert-solution]");
    if (button) insert(button.dataset.insertSolution);
  });
  document.addEventListener("htmx:load", (event) => revealButtons(event.target));
  document.addEventListener("DOMContentLoaded", () => revealButtons(document));
})();
