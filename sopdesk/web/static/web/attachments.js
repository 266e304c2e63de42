// File drop zones ([data-drop-zone] around a file input and a [data-file-list]): chosen, dropped
// and pasted files all end up in the input's own file list, so the form posts them like any chosen
// file (nothing is uploaded before the form is sent, no inline script). Pasted screenshots are taken
// from the element named by data-paste-target (its id), or from anywhere on the page without it.
(function () {
  function setUp(zone) {
    const input = zone.querySelector("input[type=file]");
    const list = zone.querySelector("[data-file-list]");
    if (!input || !list) return;
    const show = () => {
      list.replaceChildren(
        ...Array.from(input.files).map((file) => {
          const item = document.createElement("li");
          item.textContent = `${file.name} (${Math.ceil(file.size / 1024)} KB)`;
          return item;
        }),
      );
    };
    const add = (files) => {
      const transfer = new DataTransfer();
      Array.from(input.files).forEach((file) => transfer.items.add(file));
      files.forEach((file) => transfer.items.add(file));
      input.files = transfer.files;
      show();
    };
    input.addEventListener("change", show);
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("drag-over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("drag-over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("drag-over");
      add(Array.from(event.dataTransfer.files));
    });
    const targetId = zone.dataset.pasteTarget;
    const pasteTarget = targetId ? document.getElementById(targetId) : document;
    if (!pasteTarget) return;
    pasteTarget.addEventListener("paste", (event) => {
      const images = Array.from(event.clipboardData ? event.clipboardData.items : [])
        .filter((item) => item.kind === "file" && item.type.startsWith("image/"))
        .map((item) => item.getAsFile())
        .filter(Boolean);
      if (!images.length) return; // text goes into the text field as usual
      event.preventDefault();
      const stamp = new Date().toISOString().replace(/[^0-9]/g, "").slice(0, 14);
      add(images.map((image, index) => new File([image], `screenshot-${stamp}-${index + 1}.png`, { type: image.type })));
    });
  }

  function start() {
    document.querySelectorAll("[data-drop-zone]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
