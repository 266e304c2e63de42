// The knowledge-base editor (#kb-form): a screenshot pasted or a file dropped into a text field, or
// chosen with the file input, is uploaded at once to the article (data-upload-url) and the answer's
// Markdown line is put at the cursor of the field last used; the preview then refreshes through its
// usual input trigger. Texts come from the form's data attributes (no inline script, strict CSP).
(function () {
  function setUp(form) {
    const status = form.querySelector("[data-kb-upload-status]");
    const texts = Array.from(form.querySelectorAll("textarea[data-kb-text]"));
    const fileInput = form.querySelector("input[data-kb-file]");
    const token = form.querySelector("input[name=csrfmiddlewaretoken]");
    let lastText = form.querySelector("textarea[name=solution]") || texts[0];
    const say = (text) => {
      if (status) status.textContent = text;
    };

    const insert = (area, line) => {
      const start = area.selectionStart ?? area.value.length;
      const end = area.selectionEnd ?? start;
      const before = area.value.slice(0, start);
      const lead = before && !before.endsWith("\n") ? "\n" : "";
      area.setRangeText(`${lead}${line}\n`, start, end, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    };

    const upload = async (area, file) => {
      const url = form.dataset.uploadUrl;
      if (!url) {
        say(form.dataset.needSave);
        return;
      }
      say(`${form.dataset.uploading} ${file.name}`);
      const body = new FormData();
      body.append("file", file);
      try {
        const answer = await fetch(url, {
          method: "POST",
          body,
          headers: { "X-CSRFToken": token ? token.value : "" },
          credentials: "same-origin",
        });
        const data = await answer.json();
        if (!answer.ok) {
          say(`${form.dataset.failed} ${data.error || answer.status}`);
          return;
        }
        insert(area, data.markdown);
        say(`${form.dataset.uploaded} ${data.name}`);
      } catch (error) {
        say(`${form.dataset.failed} ${file.name}`);
      }
    };

    const uploadAll = async (area, files) => {
      for (const file of files) await upload(area, file);
    };

    texts.forEach((area) => {
      area.addEventListener("focus", () => {
        lastText = area;
      });
      area.addEventListener("paste", (event) => {
        const files = Array.from(event.clipboardData ? event.clipboardData.items : [])
          .filter((item) => item.kind === "file")
          .map((item) => item.getAsFile())
          .filter(Boolean);
        if (!files.length) return; // text is pasted as usual
        event.preventDefault();
        const stamp = new Date().toISOString().replace(/[^0-9]/g, "").slice(0, 14);
        const named = files.map((file, index) =>
          file.type.startsWith("image/") && (!file.name || file.name === "image.png")
            ? new File([file], `screenshot-${stamp}-${index + 1}.png`, { type: file.type })
            : file,
        );
        uploadAll(area, named);
      });
      area.addEventListener("dragover", (event) => {
        if (event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files")) {
          event.preventDefault();
          area.classList.add("drag-over");
        }
      });
      area.addEventListener("dragleave", () => area.classList.remove("drag-over"));
      area.addEventListener("drop", (event) => {
        const files = Array.from(event.dataTransfer ? event.dataTransfer.files : []);
        area.classList.remove("drag-over");
        if (!files.length) return;
        event.preventDefault();
        area.focus();
        uploadAll(area, files);
      });
    });

    if (fileInput) {
      fileInput.addEventListener("change", async () => {
        await uploadAll(lastText, Array.from(fileInput.files));
        fileInput.value = "";
      });
    }
  }

  function start() {
    const form = document.getElementById("kb-form");
    if (form) setUp(form);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
