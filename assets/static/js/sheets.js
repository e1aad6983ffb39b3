// Data & Sheets grid editor. Every page works without this file: each
// row has an Edit link to its form and the table has an Add row form.
// With it, the grid is a spreadsheet: arrow keys (and Home/End,
// PageUp/PageDown) move between cells; Enter, F2 or typing edits the
// cell; Enter saves and moves down, Tab saves and moves right, Escape
// cancels; Space toggles a checkbox; Delete empties a cell. Each change
// is posted to the table's cell URL and the server's answer (the cell as
// stored, or why it was refused, naming the column) is shown.
(function () {
  "use strict";
  var grid = document.querySelector("table.grid[data-cells-url]");
  if (!grid || !window.fetch) return;
  var url = grid.dataset.cellsUrl;
  var csrf = grid.dataset.csrf;
  var status = document.getElementById("grid-status");
  var cells = function () { return Array.prototype.slice.call(grid.querySelectorAll("td[data-col]")); };
  var rows = function () { return Array.prototype.slice.call(grid.querySelectorAll("tbody tr[data-row]")); };
  var say = function (text, bad) {
    if (!status) return;
    status.textContent = text;
    status.className = bad ? "field-error" : "muted";
  };
  var colIndex = function (td) { return Array.prototype.indexOf.call(td.parentNode.querySelectorAll("td[data-col]"), td); };
  var at = function (r, c) {
    var rs = rows();
    if (r < 0 || r >= rs.length) return null;
    var cs = rs[r].querySelectorAll("td[data-col]");
    return c >= 0 && c < cs.length ? cs[c] : null;
  };
  var pos = function (td) { return [rows().indexOf(td.parentNode), colIndex(td)]; };
  var focus = function (td) {
    if (!td) return;
    cells().forEach(function (c) { c.tabIndex = -1; });
    td.tabIndex = 0;
    td.focus();
  };
  // The first cell is reachable with Tab.
  var first = at(0, 0);
  if (first) first.tabIndex = 0;
  cells().forEach(function (c) { if (c !== first) c.tabIndex = -1; });

  var editing = null;
  var save = function (td, value, then) {
    var params = new URLSearchParams();
    params.set("row", td.parentNode.dataset.row);
    params.set("column", td.dataset.col);
    params.set("value", value);
    params.set("_csrf", csrf);
    td.classList.add("saving");
    return fetch(url, { method: "POST", body: params, headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        td.classList.remove("saving");
        if (!res.ok) {
          var msg = (res.j.error && res.j.error.message) || "Not saved.";
          td.setAttribute("aria-invalid", "true");
          td.title = msg;
          say(msg, true);
          return false;
        }
        td.removeAttribute("aria-invalid");
        td.title = "";
        td.textContent = res.j.text;
        td.dataset.edit = res.j.edit;
        say("Saved.", false);
        if (then) then();
        return true;
      })
      .catch(function () {
        td.classList.remove("saving");
        say("Not saved: the server did not answer. Try again.", true);
      });
  };
  var stopEdit = function (commit, move) {
    if (!editing) return;
    var td = editing.td, input = editing.input, old = editing.old;
    var value = input.type === "checkbox" ? String(input.checked) : input.value;
    editing = null;
    td.textContent = td.dataset.text || "";
    if (commit && value !== old) {
      td.dataset.text = value;
      td.textContent = value;
      save(td, value, move).then(function (ok) { if (ok === false) focus(td); });
      if (!move) focus(td);
      return;
    }
    focus(td);
    if (commit && move) move();
  };
  var startEdit = function (td, initial) {
    if (editing || td.dataset.readonly) return;
    var type = td.dataset.type;
    var input;
    if (type === "select") {
      input = document.createElement("select");
      var opts = [""].concat(JSON.parse(td.dataset.options || "[]"));
      opts.forEach(function (o) {
        var op = document.createElement("option");
        op.value = o;
        op.textContent = o || "(empty)";
        input.appendChild(op);
      });
      input.value = td.dataset.edit || "";
    } else {
      input = document.createElement("input");
      input.type = type === "date" ? "date" : "text";
      if (type === "number" || type === "currency") input.inputMode = "decimal";
      input.value = initial !== undefined ? initial : (td.dataset.edit || "");
    }
    input.setAttribute("aria-label", td.dataset.label || td.dataset.col);
    td.dataset.text = td.textContent;
    td.textContent = "";
    td.appendChild(input);
    editing = { td: td, input: input, old: td.dataset.edit || "" };
    input.focus();
    if (initial === undefined && input.select) input.select();
  };
  grid.addEventListener("dblclick", function (e) {
    var td = e.target.closest("td[data-col]");
    if (td) startEdit(td);
  });
  grid.addEventListener("click", function (e) {
    var td = e.target.closest("td[data-col]");
    if (td && !editing) focus(td);
  });
  grid.addEventListener("keydown", function (e) {
    var td = e.target.closest("td[data-col]");
    if (!td) return;
    var p = pos(td);
    if (editing) {
      if (e.key === "Escape") { e.preventDefault(); stopEdit(false); }
      else if (e.key === "Enter") { e.preventDefault(); stopEdit(true, function () { focus(at(p[0] + 1, p[1]) || td); }); }
      else if (e.key === "Tab") { e.preventDefault(); stopEdit(true, function () { focus(at(p[0], p[1] + (e.shiftKey ? -1 : 1)) || td); }); }
      return;
    }
    var move = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1], PageUp: [-10, 0], PageDown: [10, 0] }[e.key];
    if (move) {
      e.preventDefault();
      var n = at(Math.max(0, Math.min(rows().length - 1, p[0] + move[0])), p[1] + move[1]);
      focus(n || td);
      return;
    }
    if (e.key === "Home") { e.preventDefault(); focus(at(p[0], 0)); return; }
    if (e.key === "End") { e.preventDefault(); focus(at(p[0], td.parentNode.querySelectorAll("td[data-col]").length - 1)); return; }
    if (e.key === "Tab") {
      var t = at(p[0], p[1] + (e.shiftKey ? -1 : 1));
      if (t) { e.preventDefault(); focus(t); }
      return;
    }
    if (td.dataset.type === "checkbox" && (e.key === " " || e.key === "Enter")) {
      e.preventDefault();
      save(td, td.dataset.edit === "true" ? "false" : "true");
      return;
    }
    if (e.key === "Enter" || e.key === "F2") { e.preventDefault(); startEdit(td); return; }
    if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      if (td.dataset.edit) save(td, "");
      return;
    }
    if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey && td.dataset.type !== "select" && td.dataset.type !== "date") {
      // Typing replaces the cell: an empty editor takes the focus now,
      // and the browser puts the key's character into it.
      startEdit(td, "");
    }
  });
  grid.addEventListener("focusout", function (e) {
    if (editing && e.target === editing.input && !grid.contains(e.relatedTarget)) stopEdit(true);
  });
})();
