// Site page editor: reorder blocks by dragging (or with the Move buttons,
// which work without this script as form buttons), remove blocks, and
// keep the preview frame beside the editor in step with unsaved edits.
(function () {
  var form = document.getElementById("page-form");
  if (!form) return;
  var list = form.querySelector(".se-blocks");
  var previewBtn = document.getElementById("preview-btn");
  var timer = null;
  function preview() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (previewBtn && form.requestSubmit) {
        // The preview needs no valid form: skip the browser's checks.
        form.noValidate = true;
        form.requestSubmit(previewBtn);
        form.noValidate = false;
      }
    }, 600);
  }
  form.addEventListener("input", preview);
  form.addEventListener("change", preview);

  var dragged = null;
  list.addEventListener("dragstart", function (e) {
    var li = e.target.closest && e.target.closest("[data-block]");
    if (!li) return;
    dragged = li;
    li.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", "block");
  });
  list.addEventListener("dragover", function (e) {
    if (!dragged) return;
    e.preventDefault();
    var over = e.target.closest && e.target.closest("[data-block]");
    if (!over || over === dragged) return;
    var r = over.getBoundingClientRect();
    var after = e.clientY > r.top + r.height / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    preview();
  });

  form.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button");
    if (!b) return;
    var li = b.closest("[data-block]");
    if (!li) return;
    if (b.hasAttribute("data-move")) {
      e.preventDefault();
      if (b.getAttribute("data-move") === "up" && li.previousElementSibling) {
        list.insertBefore(li, li.previousElementSibling);
      } else if (b.getAttribute("data-move") === "down" && li.nextElementSibling) {
        list.insertBefore(li.nextElementSibling, li);
      }
      b.focus();
      preview();
    } else if (b.hasAttribute("data-remove")) {
      e.preventDefault();
      var next = li.nextElementSibling || li.previousElementSibling;
      li.remove();
      if (next) { var f = next.querySelector("summary"); if (f) f.focus(); }
      preview();
    }
  });
  preview();
})();
