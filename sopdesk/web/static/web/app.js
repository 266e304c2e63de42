// Behaviour shared by every page. Loaded as a file: the Content-Security-Policy forbids inline scripts.
"use strict";

(function () {
  const lang = document.documentElement.lang || "en";
  const relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  const steps = [
    ["year", 365 * 24 * 3600],
    ["month", 30 * 24 * 3600],
    ["day", 24 * 3600],
    ["hour", 3600],
    ["minute", 60],
  ];

  // "3 min ago" beside the absolute time, which stays in the title and the text for copying.
  function relativeWords(date) {
    const seconds = (date.getTime() - Date.now()) / 1000;
    for (const [unit, size] of steps) {
      if (Math.abs(seconds) >= size) {
        return relative.format(Math.round(seconds / size), unit);
      }
    }
    return relative.format(0, "minute");
  }

  function refreshTimes(root) {
    root.querySelectorAll("time[data-relative]").forEach((element) => {
      const date = new Date(element.getAttribute("datetime"));
      if (!Number.isNaN(date.getTime())) {
        // The relative words go beside the absolute time, which stays as it is.
        let words = element.nextElementSibling;
        if (!words || !words.classList.contains("relative-time")) {
          words = document.createElement("span");
          words.className = "relative-time";
          element.after(words);
        }
        words.textContent = relativeWords(date);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
      select.addEventListener("change", () => select.form.requestSubmit());
    });
    refreshTimes(document);
    window.setInterval(() => refreshTimes(document), 60 * 1000);
  });
  document.addEventListener("htmx:afterSettle", (event) => refreshTimes(event.target));
  window.sopdesk = { refreshTimes };
})();
