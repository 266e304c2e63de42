// The agent workspace: selection, live SLA countdowns, keyboard shortcuts, composer drafts.
"use strict";

(function () {
  // Translated phrases come from the page (Django's catalogue), never from this file.
  const strings = (document.getElementById("workspace-strings") || { dataset: {} }).dataset;
  const phrase = (name, values) =>
    (strings[name] || "").replace(/%\((\w+)\)[sd]/g, (match, key) => String(values[key]));

  function duration(seconds) {
    const minutes = Math.floor(Math.abs(seconds) / 60);
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const rest = minutes % 60;
    const parts = [];
    if (days) parts.push(phrase("days", { count: days }));
    if (hours) parts.push(phrase("hours", { count: hours }));
    if (rest || !parts.length) parts.push(phrase("minutes", { count: rest }));
    return parts.join(" ");
  }

  // Keep "due in 25 min" / "overdue 1 h 10 min" current without reloading the queue.
  function refreshCountdowns() {
    document.querySelectorAll(".sla-clock[data-due]").forEach((badge) => {
      const due = new Date(badge.dataset.due);
      if (Number.isNaN(due.getTime())) return;
      const left = (due.getTime() - Date.now()) / 1000;
      if (left >= 0) {
        badge.textContent = phrase("dueIn", { left: duration(left) });
      } else {
        badge.textContent = phrase("overdue", { late: duration(left) });
        badge.classList.remove("bg-green-lt", "bg-orange-lt");
        badge.classList.add("bg-red-lt");
      }
    });
  }

  function setUpSelection() {
    const all = document.querySelector("[data-select-all]");
    if (!all) return;
    all.addEventListener("change", () => {
      document.querySelectorAll("input[name=tickets]").forEach((box) => {
        box.checked = all.checked;
      });
    });
  }

  function setUpComposer() {
    const form = document.querySelector("form[data-draft-key]");
    if (!form) return;
    const body = form.querySelector("textarea[name=body]");
    const send = form.querySelector(".composer-send");
    const key = form.dataset.draftKey;
    // The draft survives navigating away; it is dropped when the message is sent.
    try {
      if (!body.value && window.localStorage.getItem(key)) body.value = window.localStorage.getItem(key);
      body.addEventListener("input", () => window.localStorage.setItem(key, body.value));
      form.addEventListener("submit", () => window.localStorage.removeItem(key));
    } catch (error) {
      // Storage can be unavailable (private mode); drafts are then not kept.
    }
    // The send button says who will see the message: an internal note must never go out by mistake.
    const update = () => {
      const note = form.querySelector("#mode-note").checked;
      send.textContent = note ? send.dataset.noteLabel : send.dataset.replyLabel;
      form.classList.toggle("composer-note", note);
    };
    form.querySelectorAll("input[name=internal]").forEach((radio) => radio.addEventListener("change", update));
    update();
    // A canned response is inserted at the cursor (already filled in for this ticket by the server).
    const canned = form.querySelector("select[data-canned]");
    if (canned) {
      canned.addEventListener("change", () => {
        const option = canned.selectedOptions[0];
        if (!option || !option.dataset.text) return;
        const start = body.selectionStart ?? body.value.length;
        const end = body.selectionEnd ?? body.value.length;
        body.value = body.value.slice(0, start) + option.dataset.text + body.value.slice(end);
        body.dispatchEvent(new Event("input"));
        canned.value = "";
        body.focus();
      });
    }
  }

  function typing(event) {
    const target = event.target;
    return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
  }

  function moveRow(step) {
    const rows = Array.from(document.querySelectorAll("tr[data-ticket-row]"));
    if (!rows.length) return;
    const current = rows.findIndex((row) => row.classList.contains("row-focused"));
    const next = rows[Math.min(Math.max(current + step, 0), rows.length - 1)];
    rows.forEach((row) => row.classList.remove("row-focused"));
    next.classList.add("row-focused");
    next.querySelector("a").focus();
  }

  function setUpShortcuts() {
    const help = document.getElementById("shortcut-help");
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
      const key = event.key;
      if (key === "?" && help) {
        help.hidden = !help.hidden;
        event.preventDefault();
        return;
      }
      if (key === "Escape" && help) help.hidden = true;
      if (key === "j" || key === "k") {
        moveRow(key === "j" ? 1 : -1);
        event.preventDefault();
        return;
      }
      if (key === "n") {
        const note = document.getElementById("mode-note");
        if (note) {
          note.checked = true;
          note.dispatchEvent(new Event("change"));
          document.getElementById("composer-body").focus();
          event.preventDefault();
        }
        return;
      }
      if (key === "r") {
        const reply = document.getElementById("mode-reply");
        if (reply) {
          reply.checked = true;
          reply.dispatchEvent(new Event("change"));
        }
      }
      const focus = document.querySelector(`[data-shortcut-focus="${CSS.escape(key)}"]`);
      if (focus) {
        focus.focus();
        event.preventDefault();
        return;
      }
      const click = document.querySelector(`[data-shortcut-click="${CSS.escape(key)}"]`);
      if (click) {
        click.click();
        event.preventDefault();
      }
    });
  }

  // Bars whose length is data: the CSP allows no style attributes in the markup.
  function setUpBars() {
    document.querySelectorAll("[data-width]").forEach((bar) => {
      const percent = Math.max(0, Math.min(100, Number(bar.dataset.width) || 0));
      bar.style.width = `${percent}%`;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpBars();
    setUpSelection();
    setUpComposer();
    setUpShortcuts();
    refreshCountdowns();
    window.setInterval(refreshCountdowns, 30 * 1000);
  });
})();
