// Knowledge Wiki enhancements. Every page works without this file: the
// editor posts normally (a Preview button renders on the server), pages
// move with their Move form and the tree's up/down buttons.
//  - live preview: the editor's text is rendered by the server (the same
//    renderer and sanitiser as the saved page) as you type;
//  - "Insert" buttons put an attachment's reference at the cursor;
//  - Ctrl/Cmd+S saves; leaving with unsaved changes asks first;
//  - the page tree: drag a page onto another (top third: before it,
//    middle: inside it, bottom third: after it); the drop fills the
//    tree's move form (the same fields as a page's Move form) and submits
//    it, so the server sees exactly what the form sends.
(function () {
  "use strict";
  var editor = document.getElementById("wiki-editor");
  if (editor) {
    var body = editor.querySelector("textarea[name=body]");
    var title = editor.querySelector("input[name=title]");
    var preview = document.getElementById("wiki-preview");
    var status = document.getElementById("wiki-preview-status");
    var csrf = editor.querySelector("input[name=_csrf]").value;
    var dirty = false;
    var timer = null;
    var seq = 0;
    var render = function () {
      if (!preview || !editor.dataset.previewUrl || !window.fetch) return;
      var mine = ++seq;
      var params = new URLSearchParams();
      params.set("body", body.value);
      params.set("_csrf", csrf);
      fetch(editor.dataset.previewUrl, {
        method: "POST",
        body: params,
        headers: { "X-CSRF-Token": csrf },
        credentials: "same-origin"
      }).then(function (r) {
        if (!r.ok) throw new Error("The preview failed (" + r.status + ").");
        return r.text();
      }).then(function (html) {
        if (mine !== seq) return; // a newer preview is on its way
        preview.innerHTML = html; // sanitised by the server
        if (status) status.textContent = "";
      }).catch(function (err) {
        if (status) status.textContent = err.message;
      });
    };
    var changed = function () {
      dirty = true;
      clearTimeout(timer);
      timer = setTimeout(render, 250);
    };
    if (body) body.addEventListener("input", changed);
    if (title) title.addEventListener("input", function () { dirty = true; });
    editor.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (e) {
      if (dirty) {
        e.preventDefault();
        e.returnValue = "";
      }
    });
    document.addEventListener("keydown", function (e) {
      if ((e.ctrlKey || e.metaKey) && e.key === "s") {
        e.preventDefault();
        dirty = false;
        if (editor.requestSubmit) editor.requestSubmit(); else editor.submit();
      }
    });
    // Insert an attachment's markdown at the cursor.
    document.addEventListener("click", function (e) {
      var b = e.target.closest && e.target.closest("[data-insert]");
      if (!b || !body) return;
      e.preventDefault();
      var text = b.dataset.insert;
      var s = body.selectionStart || 0, en = body.selectionEnd || 0;
      body.value = body.value.slice(0, s) + text + body.value.slice(en);
      body.focus();
      body.selectionStart = body.selectionEnd = s + text.length;
      changed();
    });
    // Tab in the editor indents instead of leaving it (Esc then Tab leaves).
    var escaped = false;
    if (body) body.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { escaped = true; return; }
      if (e.key === "Tab" && !escaped && !e.shiftKey) {
        e.preventDefault();
        var s = body.selectionStart;
        body.value = body.value.slice(0, s) + "  " + body.value.slice(body.selectionEnd);
        body.selectionStart = body.selectionEnd = s + 2;
        changed();
      }
      escaped = false;
    });
  }

  // Page tree drag and drop.
  var dragged = null;
  var zone = function (li, e) {
    var r = li.getBoundingClientRect();
    var y = (e.clientY - r.top) / r.height;
    return y < 1 / 3 ? "before" : y > 2 / 3 ? "after" : "inside";
  };
  var clear = function () {
    document.querySelectorAll(".wiki-tree .drop-before,.wiki-tree .drop-after,.wiki-tree .drop-inside").forEach(function (el) {
      el.classList.remove("drop-before", "drop-after", "drop-inside");
    });
  };
  document.addEventListener("dragstart", function (e) {
    var li = e.target.closest && e.target.closest(".wiki-tree li[data-page]");
    if (!li) return;
    dragged = li;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", li.dataset.page);
  });
  document.addEventListener("dragover", function (e) {
    var li = dragged && e.target.closest && e.target.closest(".wiki-tree li[data-page]");
    if (!li || li === dragged || dragged.contains(li)) return;
    e.preventDefault();
    e.stopPropagation();
    clear();
    li.classList.add("drop-" + zone(li, e));
  });
  document.addEventListener("dragend", function () { clear(); dragged = null; });
  document.addEventListener("drop", function (e) {
    var li = dragged && e.target.closest && e.target.closest(".wiki-tree li[data-page]");
    if (!li || li === dragged || dragged.contains(li)) return;
    e.preventDefault();
    clear();
    var form = document.getElementById("wiki-move");
    if (!form) return;
    form.action = form.dataset.action.replace("{id}", dragged.dataset.page);
    var z = zone(li, e);
    var parent = z === "inside" ? li.dataset.page : li.dataset.parent;
    var pos = z === "inside" ? 100000 : Number(li.dataset.pos) + (z === "after" ? 1 : 0);
    // Moving down among the same siblings: the page's own place closes up.
    if (z !== "inside" && dragged.dataset.parent === li.dataset.parent && Number(dragged.dataset.pos) < pos) pos--;
    form.querySelector("[name=parent_id]").value = parent;
    form.querySelector("[name=position]").value = String(pos);
    dragged = null;
    form.submit();
  });
})();
