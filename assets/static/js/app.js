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
  // Kanban (.kanban[data-kanban]): drag a deal card onto another stage
  // column with the mouse, a pen or a finger (pointer events), or use the
  // card's Stage select and Move button from the keyboard. Both post the
  // card's own form with Accept: application/json and update the board
  // (counts, totals, the card's column) from the answer; a move to a won
  // or lost stage asks for the reason first. Without JavaScript the form
  // posts normally.
  var board = document.querySelector(".kanban[data-kanban]");
  if (board) initKanban(board);
  function initKanban(board) {
    var dialog = document.querySelector(".kanban-dialog");
    var live = document.getElementById("kanban-live");
    var say = function (msg) { if (live) live.textContent = msg; };
    function colOf(stage) { return board.querySelector('.kanban-col[data-stage="' + stage + '"]'); }
    function askReason(outcome, done) {
      if (!dialog || typeof dialog.showModal !== "function") {
        var r = window.prompt("Why was it " + outcome + "?");
        if (r !== null) done(r);
        return;
      }
      dialog.querySelector(".kanban-dialog-outcome").textContent = outcome;
      var ta = dialog.querySelector("textarea");
      var err = dialog.querySelector(".kanban-dialog-error");
      ta.value = "";
      err.hidden = true;
      dialog.onclose = function () {
        if (dialog.returnValue !== "ok") return;
        if (outcome === "lost" && !ta.value.trim()) {
          err.textContent = "Say why the deal was lost.";
          err.hidden = false;
          dialog.showModal();
          return;
        }
        done(ta.value.trim());
      };
      dialog.showModal();
      ta.focus();
    }
    function post(card, stage, reason) {
      var form = card.querySelector("form.kanban-move");
      var fd = new URLSearchParams(new FormData(form));
      fd.set("stage", stage);
      fd.set("reason", reason || "");
      card.classList.add("moving");
      fetch(form.action, { method: "POST", body: fd, credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
        .then(function (res) {
          card.classList.remove("moving");
          if (!res.ok) { say(res.j.error || "The deal was not moved."); showError(res.j.error || "The deal was not moved."); return; }
          showError("");
          var col = colOf(String(res.j.deal.stage_id));
          if (col) col.querySelector(".kanban-cards").appendChild(card);
          form.querySelector("select[name=stage]").value = String(res.j.deal.stage_id);
          form.querySelector("input[name=reason]").value = "";
          var byStage = {};
          (res.j.columns || []).forEach(function (c) { byStage[c.stage_id] = c; });
          board.querySelectorAll(".kanban-col").forEach(function (c) {
            var t = byStage[c.dataset.stage];
            c.querySelector(".kanban-count").textContent = t ? t.count : 0;
            var tot = c.querySelector(".kanban-totals");
            tot.textContent = "";
            if (!t || !t.totals.length) { tot.textContent = "no deals"; return; }
            t.totals.forEach(function (x) { var s = document.createElement("span"); s.className = "mono"; s.textContent = x; tot.appendChild(s); tot.appendChild(document.createTextNode(" ")); });
          });
          say(res.j.deal.name + " moved to " + res.j.deal.stage + ".");
        })
        .catch(function () { card.classList.remove("moving"); showError("The deal was not moved: the server did not answer."); });
    }
    function showError(msg) {
      var el = document.getElementById("kanban-error");
      if (!el) {
        el = document.createElement("p");
        el.id = "kanban-error";
        el.className = "alert error";
        el.setAttribute("role", "alert");
        board.parentNode.insertBefore(el, board);
      }
      el.textContent = msg;
      el.hidden = !msg;
    }
    function move(card, stage) {
      var opt = card.querySelector('select[name=stage] option[value="' + stage + '"]');
      var outcome = opt && opt.dataset.outcome;
      var typed = card.querySelector("input[name=reason]").value.trim();
      if (outcome && !typed) askReason(outcome, function (r) { post(card, stage, r); });
      else post(card, stage, typed);
    }
    // The keyboard path: the card's form.
    board.addEventListener("submit", function (e) {
      var form = e.target.closest("form.kanban-move");
      if (!form) return;
      e.preventDefault();
      move(form.closest(".kanban-card"), form.querySelector("select[name=stage]").value);
    });
    // The pointer path.
    var drag = null;
    board.addEventListener("pointerdown", function (e) {
      var card = e.target.closest(".kanban-card");
      if (!card || e.button !== 0 || e.target.closest("a,select,input,button,label")) return;
      drag = { card: card, x: e.clientX, y: e.clientY, on: false, over: null, startScroll: board.scrollLeft };
    });
    document.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.on && Math.abs(dx) + Math.abs(dy) < 6) return;
      if (!drag.on) { drag.on = true; drag.card.classList.add("dragging"); board.classList.add("is-dragging"); }
      e.preventDefault();
      // Near the board's left or right edge the board scrolls, so a
      // stage out of view can be reached.
      var br = board.getBoundingClientRect();
      var step = e.clientX > br.right - 48 ? 24 : e.clientX < br.left + 48 ? -24 : 0;
      if (step) { board.scrollLeft += step; }
      dx += board.scrollLeft - drag.startScroll;
      drag.card.style.transform = "translate(" + dx + "px," + dy + "px)";
      var el = document.elementFromPoint(e.clientX, e.clientY);
      var col = el && el.closest(".kanban-col");
      if (drag.over && drag.over !== col) drag.over.classList.remove("drop");
      if (col && board.contains(col)) { col.classList.add("drop"); drag.over = col; } else drag.over = null;
    });
    document.addEventListener("pointerup", function () {
      if (!drag) return;
      var d = drag;
      drag = null;
      if (!d.on) return;
      d.card.classList.remove("dragging");
      board.classList.remove("is-dragging");
      d.card.style.transform = "";
      if (d.over) d.over.classList.remove("drop");
      var from = d.card.closest(".kanban-col");
      if (d.over && d.over !== from) move(d.card, d.over.dataset.stage);
    });
  }
})();
