// "Ask for help": chosen, dropped and pasted files all end up in the form's own file input, so the
// request posts them like any chosen file (no upload before the request exists, no inline script).
function setUpAttachments() {
  const zone = document.querySelector("[data-drop-zone]");
  if (!zone) return;
  const input = zone.querySelector("input[type=file]");
  const list = zone.querySelector("[data-file-list]");
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
  // A screenshot pasted anywhere on the page (text fields take only text, so nothing is lost).
  document.addEventListener("paste", (event) => {
    const images = Array.from(event.clipboardData ? event.clipboardData.items : [])
      .filter((item) => item.kind === "file" && item.type.startsWith("image/"))
      .map((item) => item.getAsFile())
      .filter(Boolean);
    if (!images.length) return;
    event.preventDefault();
    const stamp = new Date().toISOString().replace(/[^0-9]/g, "").slice(0, 14);
    add(images.map((image, index) => new File([image], `screenshot-${stamp}-${index + 1}.png`, { type: image.type })));
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", setUpAttachments);
} else {
  setUpAttachments();
}
