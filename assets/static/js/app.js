// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Ask before destructive actions: <form data-confirm="Delete this?">.
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.dataset && f.dataset.confirm && !window.confirm(f.dataset.confirm)) {
      e.preventDefault();
    }
  });
  // Long-running forms: <form data-busy="Working…"> disables its submit
  // button and shows the text in its [data-busy-status] element while the
  // server works (RFP extraction may wait up to a minute for a model).
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (e.defaultPrevented || !f.dataset || !f.dataset.busy) return;
    var st = f.querySelector("[data-busy-status]");
    if (st) st.textContent = f.dataset.busy;
    f.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  });
  // Copy buttons: <button data-copy="#id">.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-copy]");
    if (!b) return;
    var el = document.querySelector(b.dataset.copy);
    if (el && navigator.clipboard) {
      navigator.clipboard.writeText(el.textContent.trim());
      b.textContent = "Copied";
    }
  });
  // Kanban: drag a deal card onto another stage column. The drop sets
  // the card's own Move form to that stage and submits it, so the server
  // sees exactly what the no-JavaScript form sends.
  var dragged = null;
  document.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest(".kanban-card");
    if (!card) return;
    dragged = card;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.dataset.deal || "");
  });
  document.addEventListener("dragover", function (e) {
    var col = dragged && e.target.closest && e.target.closest(".kanban-col");
    if (!col) return;
    e.preventDefault();
    col.classList.add("drop");
  });
  document.addEventListener("dragleave", function (e) {
    var col = e.target.closest && e.target.closest(".kanban-col");
    if (col && !col.contains(e.relatedTarget)) col.classList.remove("drop");
  });
  document.addEventListener("drop", function (e) {
    var col = dragged && e.target.closest && e.target.closest(".kanban-col");
    if (!col) return;
    e.preventDefault();
    col.classList.remove("drop");
    var form = dragged.querySelector("form.kanban-move");
    var sel = form && form.querySelector("select[name=stage]");
    if (sel && sel.value !== col.dataset.stage) {
      sel.value = col.dataset.stage;
      col.appendChild(dragged);
      form.submit();
    }
    dragged = null;
  });
})();
