// The visual workflow builder (Nexus and portal). It draws the workflow's
// JSON definition (the form's "definition" field, which stays the
// advanced view) as a vertical flow: the trigger, then each step, an if
// step's two branches side by side and joined. Every edit writes the JSON
// back, so saving is the form's ordinary post and the server validates as
// before. The step forms come from the step table (data-builder.steps).
(function () {
  "use strict";
  var root = document.querySelector("[data-builder]");
  var ta = document.getElementById("definition");
  if (!root || !ta) return;
  var data;
  try { data = JSON.parse(root.dataset.builder); } catch (e) { return; }
  root.hidden = false;
  var form = ta.form;
  var canvas = root.querySelector(".wf-canvas");
  var panel = root.querySelector(".wf-panel");
  var picker = root.querySelector(".wf-picker");
  var statusEl = root.querySelector(".wf-status");
  var types = {};
  data.steps.forEach(function (t) { types[t.type] = t; });
  var def = parse(ta.value) || { steps: [] };
  if (!def.steps) def.steps = [];
  var hist = [], fut = [], sel = -1, invalid = {}, pending = null, insertAt = null;

  function parse(s) { try { return JSON.parse(s); } catch (e) { return null; } }
  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") n.textContent = attrs[k];
      else if (k === "class") n.className = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) n.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) n.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return n;
  }
  function say(msg) { statusEl.textContent = msg; }
  function write() { ta.value = JSON.stringify(def, null, 2); }
  function change(fn) {
    hist.push(JSON.stringify(def));
    if (hist.length > 200) hist.shift();
    fut = [];
    fn();
    write();
    render();
  }
  function restore(from, to) {
    if (!from.length) return;
    to.push(JSON.stringify(def));
    def = JSON.parse(from.pop());
    if (sel >= def.steps.length) sel = def.steps.length - 1;
    write();
    render();
  }
  function idx(id) {
    for (var i = 0; i < def.steps.length; i++) if (def.steps[i].id === id) return i;
    return -1;
  }
  // target is where an if step's branch goes: "" the next step, "end", or a step id.
  function target(ref, i) {
    if (!ref) return i + 1;
    if (ref === "end") return def.steps.length;
    var j = idx(ref);
    return j > i ? j : i + 1;
  }
  function newID(type) {
    var base = type.replace(/_/g, "-"), id = base, n = 2;
    while (idx(id) >= 0) id = base + "-" + n++;
    return id;
  }
  function label(s) { return (types[s.type] && types[s.type].label) || s.type; }
  function summary(s) {
    var parts = [];
    (types[s.type] ? types[s.type].fields : []).forEach(function (f) {
      var v = s[f.key];
      if (f.kind === "keyvalue" && v) v = Object.keys(v).join(", ");
      if (v && typeof v !== "object" && f.key !== "retries") parts.push(String(v));
    });
    var t = parts.join(" · ");
    return t.length > 90 ? t.slice(0, 89) + "…" : t;
  }

  // ---- the canvas ----
  function render() {
    canvas.textContent = "";
    var trig = form.querySelector("#trigger");
    var tl = trig && trig.selectedOptions[0] ? trig.selectedOptions[0].textContent : (data.trigger || "Trigger");
    canvas.appendChild(el("li", { class: "wf-node wf-trigger" }, [el("span", { class: "wf-kind", text: "When" }), el("strong", { text: tl })]));
    seq(canvas, 0, def.steps.length, true);
    root.querySelector('[data-act="undo"]').disabled = !hist.length;
    root.querySelector('[data-act="redo"]').disabled = !fut.length;
    drawPanel();
  }
  // seq draws steps [from, to) into list; join marks the main line (its
  // "+" after an if block also retargets the branch that skipped).
  function seq(list, from, to, main) {
    var i = from;
    list.appendChild(plus(i, false));
    while (i < to) {
      var s = def.steps[i];
      list.appendChild(node(s, i));
      if (s.type === "if") {
        var t = Math.min(target(s.then, i), to), e = Math.min(target(s["else"], i), to);
        var a = Math.min(t, e), b = Math.max(t, e);
        var lanes = el("li", { class: "wf-branches" });
        var tref = s.then || "", eref = s["else"] || "";
        [["Yes", t, tref, eref], ["No", e, eref, tref]].forEach(function (br) {
          var lane = el("ol", { class: "wf-lane", "aria-label": br[0] + " branch of " + s.id });
          lane.appendChild(el("li", { class: "wf-lane-label", text: br[0] }));
          if (br[1] === a && a < b) seq(lane, a, b, false);
          else if (a === b && br[2] === "" && br[3] !== "") lane.appendChild(plus(a, false)); // its first step goes here
          else {
            var txt = br[2] === "end" || b >= def.steps.length && a !== b ? "ends the run" : a === b ? "goes on" : "skips to " + def.steps[b].id;
            lane.appendChild(el("li", { class: "wf-skip muted", text: txt }));
          }
          lanes.appendChild(lane);
        });
        list.appendChild(lanes);
        i = Math.max(b, i + 1);
        // The join: steps added here run on both paths. When one branch
        // ends the run there is no join (the other lane's "+" adds).
        if (a === b || b < def.steps.length || !main) list.appendChild(plus(i, a !== b));
        continue;
      }
      i++;
      list.appendChild(plus(i, false));
    }
  }
  function node(s, i) {
    var r = data.run && data.run.steps[s.id];
    var li = el("li", { class: "wf-node" + (i === sel ? " selected" : "") + (invalid[s.id] ? " invalid" : "") + (r ? " run-" + r.status : ""), "data-step": s.id });
    var b = el("button", { type: "button", class: "wf-node-btn", "data-select": i, "aria-pressed": i === sel ? "true" : "false", "aria-invalid": invalid[s.id] ? "true" : null },
      [el("span", { class: "wf-kind", text: label(s) }), el("span", { class: "mono wf-id", text: s.id }), el("span", { class: "muted wf-sum", text: summary(s) })]);
    li.appendChild(b);
    if (invalid[s.id]) li.appendChild(el("p", { class: "field-error", role: "alert", text: invalid[s.id] }));
    if (r) li.appendChild(el("p", { class: "wf-result", text: "Test run: " + r.status + (r.error ? " — " + r.error : r.output ? " — " + r.output.slice(0, 160) : "") }));
    return li;
  }
  function plus(at, join) {
    return el("li", { class: "wf-plus" }, [el("button", { type: "button", class: "btn ghost small", "data-insert": at, "data-join": join ? "1" : null, "aria-label": "Add a step here (position " + (at + 1) + ")", text: "+" })]);
  }

  // ---- the side panel: the step's form, from the step table ----
  function options(f, s, i) {
    if (f.options) return f.options.map(function (o) { return { value: o, label: o }; });
    if (f.source === "steps") {
      var out = [{ value: "", label: "the next step" }];
      for (var j = i + 1; j < def.steps.length; j++) out.push({ value: def.steps[j].id, label: def.steps[j].id + " (" + label(def.steps[j]) + ")" });
      out.push({ value: "end", label: "end the run" });
      return out;
    }
    return (data.options && data.options[f.source]) || [];
  }
  function drawPanel() {
    panel.textContent = "";
    var s = def.steps[sel];
    if (!s) { panel.appendChild(el("p", { class: "muted", text: "Choose a step to set it up, or “+” to add one." })); return; }
    var t = types[s.type] || { label: s.type, fields: [] };
    panel.appendChild(el("h3", { text: t.label }));
    panel.appendChild(el("p", { class: "muted" }, ["Step ", el("span", { class: "mono", text: s.id })]));
    if (invalid[s.id]) panel.appendChild(el("p", { class: "field-error", role: "alert", text: invalid[s.id] }));
    t.fields.forEach(function (f) { panel.appendChild(field(f, s, sel)); });
    var acts = el("p", { class: "wf-actions" });
    [["up", "Move up"], ["down", "Move down"], ["dup", "Duplicate"], ["del", "Delete"]].forEach(function (a) {
      acts.appendChild(el("button", { type: "button", class: "btn small" + (a[0] === "del" ? " danger" : " ghost"), "data-step-act": a[0], text: a[1] }));
      acts.appendChild(document.createTextNode(" "));
    });
    panel.appendChild(acts);
  }
  function field(f, s, i) {
    var id = "wf-f-" + f.key;
    var wrap = el("div", { class: "wf-field" });
    var v = s[f.key];
    if (f.kind === "bool") {
      wrap.appendChild(el("label", {}, [el("input", { type: "checkbox", id: id, "data-key": f.key, checked: !!v }), f.label]));
      return wrap;
    }
    wrap.appendChild(el("label", { for: id, text: f.label + (f.required ? " (required)" : "") }));
    var input;
    if (f.kind === "keyvalue") {
      var rows = el("div", { class: "wf-kv", "data-key": f.key });
      var obj = v || {};
      Object.keys(obj).concat([""]).forEach(function (k, n) {
        rows.appendChild(el("div", { class: "wf-kv-row" }, [
          el("input", { "aria-label": f.label + " name " + (n + 1), class: "wf-kv-k", value: k, id: n === 0 ? id : null }),
          el("input", { "aria-label": f.label + " value " + (n + 1), class: "wf-kv-v", value: k ? obj[k] : "" })]));
      });
      wrap.appendChild(rows);
      return wrap;
    }
    var opts = f.source || f.options ? options(f, s, i) : null;
    if (f.kind === "select" && opts) {
      input = el("select", { id: id, "data-key": f.key });
      var has = false;
      if (!f.required || f.source === "steps") input.appendChild(el("option", { value: "", text: f.source === "steps" ? "" : "—" }));
      opts.forEach(function (o) {
        if (f.source === "steps" && o.value === "") return;
        var op = el("option", { value: o.value, text: o.label });
        if (String(v || "") === o.value) { op.selected = true; has = true; }
        input.appendChild(op);
      });
      if (f.source === "steps") input.firstChild.textContent = "the next step";
      if (v && !has) input.appendChild(el("option", { value: v, text: v, selected: true }));
    } else if (f.kind === "textarea") {
      input = el("textarea", { id: id, "data-key": f.key, rows: 3 });
      input.value = v || "";
    } else {
      input = el("input", { id: id, "data-key": f.key, type: f.kind === "number" ? "number" : "text", value: v === undefined || v === null ? "" : v });
      if (opts && opts.length) {
        var dl = el("datalist", { id: id + "-list" });
        opts.forEach(function (o) { dl.appendChild(el("option", { value: o.value, text: o.label })); });
        wrap.appendChild(dl);
        input.setAttribute("list", id + "-list");
      }
    }
    if (f.required) input.setAttribute("aria-required", "true");
    wrap.appendChild(input);
    if (f.help) wrap.appendChild(el("p", { class: "muted small", text: f.help }));
    if (f.template) {
      var vs = el("select", { "aria-label": "Variable to insert into " + f.label, class: "wf-var" }, data.variables.map(function (x) { return el("option", { value: x, text: x }); }));
      wrap.appendChild(el("div", { class: "wf-varpick" }, [vs, el("button", { type: "button", class: "btn ghost small", "data-insert-var": f.key, text: "Insert variable" })]));
      wrap.appendChild(el("p", { class: "wf-preview muted", "data-preview": f.key, "aria-live": "polite", text: preview(v) }));
    }
    return wrap;
  }
  function preview(v) {
    if (!v || String(v).indexOf("{{") < 0) return "";
    return "Preview: " + String(v).replace(/\{\{\s*\.(Contact|Trigger)\.(\w+)\s*\}\}/g, function (m, o, k) {
      var rec = data.sample[o] || {};
      return rec[k] !== undefined ? rec[k] : "";
    });
  }
  function setField(key, value) {
    var s = def.steps[sel];
    if (value === "" || value === false || value === null) delete s[key];
    else s[key] = value;
    delete invalid[s.id];
    write();
    var sum = canvas.querySelector('[data-step="' + s.id + '"] .wf-sum');
    if (sum) sum.textContent = summary(s);
    var pv = panel.querySelector('[data-preview="' + key + '"]');
    if (pv) pv.textContent = preview(value);
  }
  function readKV(box) {
    var o = {}, n = 0;
    box.querySelectorAll(".wf-kv-row").forEach(function (r) {
      var k = r.querySelector(".wf-kv-k").value.trim();
      if (k) { o[k] = r.querySelector(".wf-kv-v").value; n++; }
    });
    return n ? o : null;
  }
  panel.addEventListener("focusin", function () { if (pending === null) pending = JSON.stringify(def); });
  panel.addEventListener("input", function (e) {
    var t = e.target;
    if (t.closest(".wf-kv")) { setField(t.closest(".wf-kv").dataset.key, readKV(t.closest(".wf-kv"))); return; }
    var key = t.dataset.key;
    if (!key) return;
    var v = t.type === "checkbox" ? t.checked : t.type === "number" ? (t.value === "" ? "" : Number(t.value)) : t.value;
    setField(key, v);
  });
  panel.addEventListener("change", function (e) {
    if (pending !== null && pending !== JSON.stringify(def)) { hist.push(pending); fut = []; }
    pending = null;
    var t = e.target;
    if (t.closest(".wf-kv") || t.tagName === "SELECT" && t.dataset.key) render(); // a new key row, or branches moved
    root.querySelector('[data-act="undo"]').disabled = !hist.length;
  });
  panel.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.insertVar) {
      var inp = panel.querySelector('[data-key="' + b.dataset.insertVar + '"]');
      var v = b.parentNode.querySelector("select").value;
      var at = inp.selectionStart === undefined || inp.selectionStart === null ? inp.value.length : inp.selectionStart;
      var before = JSON.stringify(def);
      inp.value = inp.value.slice(0, at) + v + inp.value.slice(inp.selectionEnd || at);
      setField(inp.dataset.key, inp.value);
      hist.push(before); fut = [];
      root.querySelector('[data-act="undo"]').disabled = false;
      inp.focus();
      return;
    }
    var act = b.dataset.stepAct;
    if (!act) return;
    var i = sel, s = def.steps[i];
    if (act === "del") {
      change(function () {
        var next = def.steps[i + 1];
        def.steps.splice(i, 1);
        def.steps.forEach(function (x) {
          ["then", "else"].forEach(function (k) { if (x[k] === s.id) x[k] = next ? next.id : "end"; });
        });
        sel = Math.min(i, def.steps.length - 1);
      });
      say("Deleted step " + s.id + ".");
    } else if (act === "dup") {
      change(function () {
        var c = JSON.parse(JSON.stringify(s));
        c.id = newID(s.type);
        def.steps.splice(i + 1, 0, c);
        sel = i + 1;
      });
      say("Duplicated " + s.id + ".");
    } else if (act === "up" && i > 0 || act === "down" && i < def.steps.length - 1) {
      var j = act === "up" ? i - 1 : i + 1;
      change(function () { var t = def.steps[j]; def.steps[j] = s; def.steps[i] = t; sel = j; });
      say("Moved " + s.id + " " + act + ".");
      var f = panel.querySelector('[data-step-act="' + act + '"]');
      if (f) f.focus();
    }
  });

  // ---- canvas clicks: select, insert ----
  canvas.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.select !== undefined) {
      sel = Number(b.dataset.select);
      render();
      var first = panel.querySelector("input,select,textarea");
      if (first) first.focus();
    } else if (b.dataset.insert !== undefined) {
      insertAt = { at: Number(b.dataset.insert), join: !!b.dataset.join, from: b };
      openPicker();
    }
  });
  function openPicker() {
    var q = picker.querySelector("input[type=search]");
    q.value = "";
    fillPicker("");
    if (typeof picker.showModal === "function") picker.showModal(); else picker.setAttribute("open", "");
    q.focus();
  }
  function fillPicker(q) {
    var list = picker.querySelector(".wf-picker-list");
    list.textContent = "";
    q = q.trim().toLowerCase();
    data.steps.forEach(function (t) {
      if (q && (t.label + " " + t.description + " " + t.type + " " + t.group).toLowerCase().indexOf(q) < 0) return;
      list.appendChild(el("li", {}, [el("button", { type: "button", class: "wf-pick", "data-type": t.type },
        [el("strong", { text: t.label }), el("span", { class: "muted", text: " " + t.group + ": " + t.description })])]));
    });
    if (!list.firstChild) list.appendChild(el("li", { class: "muted", text: "No step type matches." }));
  }
  picker.querySelector("input[type=search]").addEventListener("input", function (e) { fillPicker(e.target.value); });
  picker.querySelector("input[type=search]").addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); var b = picker.querySelector(".wf-pick"); if (b) b.click(); }
    if (e.key === "ArrowDown") { e.preventDefault(); var f = picker.querySelector(".wf-pick"); if (f) f.focus(); }
  });
  picker.addEventListener("keydown", function (e) {
    var b = e.target.closest(".wf-pick");
    if (!b || (e.key !== "ArrowDown" && e.key !== "ArrowUp")) return;
    e.preventDefault();
    var li = b.parentNode[e.key === "ArrowDown" ? "nextElementSibling" : "previousElementSibling"];
    if (li && li.firstChild) li.firstChild.focus();
  });
  function closePicker() { if (picker.close) picker.close(); else picker.removeAttribute("open"); }
  picker.addEventListener("click", function (e) {
    if (e.target.closest("[data-picker-cancel]")) { closePicker(); if (insertAt) insertAt.from.focus(); insertAt = null; return; }
    var b = e.target.closest(".wf-pick");
    if (!b || !insertAt) return;
    var type = b.dataset.type, at = insertAt.at, join = insertAt.join;
    closePicker();
    change(function () {
      var s = { id: newID(type), type: type };
      if (type === "if") { s.field = "contact.email"; s.op = "notempty"; s["else"] = "end"; }
      var old = def.steps[at];
      def.steps.splice(at, 0, s);
      if (join && old) {
        // After a branch block: the branch that skipped to the old step
        // now comes to the new one, so it runs on both paths.
        for (var k = 0; k < at; k++) ["then", "else"].forEach(function (f) { if (def.steps[k][f] === old.id) def.steps[k][f] = s.id; });
      }
      sel = at;
    });
    say("Added " + label(def.steps[at]) + ".");
    var first = panel.querySelector("input,select,textarea");
    if (first) first.focus();
    insertAt = null;
  });

  // ---- toolbar ----
  root.querySelector(".wf-toolbar").addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.act === "undo") { restore(hist, fut); say("Undone."); }
    if (b.dataset.act === "redo") { restore(fut, hist); say("Redone."); }
    if (b.dataset.act === "export") {
      var name = (form.querySelector("#name") || {}).value || "workflow";
      var trig = (form.querySelector("#trigger") || {}).value || "";
      // The trigger's options (the when_* fields) travel with it, so the
      // import starts the same way.
      var when = {};
      form.querySelectorAll("[name^=when_]").forEach(function (f) { if (f.value !== "") when[f.name.slice(5)] = f.value; });
      var file = { orengen_workflow: 1, name: name, trigger: trig, when: when, definition: def };
      var a = el("a", { href: URL.createObjectURL(new Blob([JSON.stringify(file, null, 2)], { type: "application/json" })), download: name.toLowerCase().replace(/[^a-z0-9]+/g, "-") + ".workflow.json" });
      document.body.appendChild(a);
      a.click();
      a.remove();
      say("Exported.");
    }
  });
  root.querySelector('[data-act="import"]').addEventListener("change", function (e) {
    var f = e.target.files[0];
    if (!f) return;
    f.text().then(function (txt) {
      var j = parse(txt);
      var d = j && (j.definition || (j.steps ? j : null));
      if (!d || !Array.isArray(d.steps)) { say("That file is not a workflow export."); return; }
      change(function () { def = d; sel = -1; invalid = {}; });
      if (j.name && form.querySelector("#name")) form.querySelector("#name").value = j.name;
      if (j.trigger && form.querySelector("#trigger")) form.querySelector("#trigger").value = j.trigger;
      if (j.when && typeof j.when === "object") {
        form.querySelectorAll("[name^=when_]").forEach(function (f) {
          var v = j.when[f.name.slice(5)];
          f.value = v === undefined || v === null ? "" : String(v);
        });
      }
      render();
      say("Imported " + d.steps.length + " steps: check them, then save.");
    });
    e.target.value = "";
  });
  document.addEventListener("keydown", function (e) {
    if (!(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== "z" && e.key.toLowerCase() !== "y") return;
    if (e.target.closest && e.target.closest("input,textarea,select")) return;
    e.preventDefault();
    if (e.key.toLowerCase() === "y" || e.shiftKey) restore(fut, hist); else restore(hist, fut);
  });
  // The advanced view: a valid edit of the JSON redraws the canvas.
  ta.addEventListener("change", function () {
    var d = parse(ta.value);
    if (d && Array.isArray(d.steps)) { hist.push(JSON.stringify(def)); def = d; sel = -1; render(); say("Redrawn from the JSON."); }
  });
  var trig = form.querySelector("#trigger");
  if (trig) trig.addEventListener("change", render);

  // ---- validation before saving: on the step that fails ----
  function check() {
    invalid = {};
    def.steps.forEach(function (s, i) {
      var t = types[s.type];
      if (!t) { invalid[s.id] = "Unknown step type " + s.type + "."; return; }
      t.fields.forEach(function (f) {
        if (f.required && !invalid[s.id] && (s[f.key] === undefined || s[f.key] === "")) invalid[s.id] = f.label + ": required.";
      });
      if (invalid[s.id]) return;
      if (s.type === "call" && !s.say && !s.gather && !s.forward) invalid[s.id] = "A call needs something to say, a keypad prompt or a number to transfer to.";
      if (s.type === "wait" && !s.wait && !s.until) invalid[s.id] = "Say how long to wait, or until when.";
      if (s.type === "if") ["then", "else"].forEach(function (k) {
        if (s[k] && s[k] !== "end" && idx(s[k]) <= i) invalid[s.id] = (k === "then" ? "Yes" : "No") + " must go to a later step.";
      });
    });
    if (!def.steps.length) return "Add at least one step.";
    var ids = Object.keys(invalid);
    return ids.length ? "Step " + ids[0] + ": " + invalid[ids[0]] : "";
  }
  form.addEventListener("submit", function (e) {
    var msg = check();
    if (!msg) return;
    e.preventDefault();
    var first = Object.keys(invalid)[0];
    if (first) sel = idx(first);
    render();
    say(msg);
    var bad = canvas.querySelector(".wf-node.invalid .wf-node-btn");
    if (bad) bad.focus();
  });
  // The server's refusal names the step: mark it on the canvas.
  if (data.error) {
    var m = /Step (\d+) \(([^)]+)\)/.exec(data.error);
    if (m && idx(m[2]) >= 0) { invalid[m[2]] = data.error.replace(/^Step \d+ \([^)]+\),\s*/, ""); sel = idx(m[2]); }
  }
  // A test run in progress: look again until it ends.
  if (data.run && (data.run.status === "queued" || data.run.status === "running")) {
    say("Test run #" + data.run.id + " is " + data.run.status + "…");
    setTimeout(function () { location.reload(); }, 1500);
  } else if (data.run) say("Test run #" + data.run.id + ": " + data.run.status + ".");
  render();
})();
