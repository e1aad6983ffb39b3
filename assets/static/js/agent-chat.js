// The chat of an AI agent: the visitor's chat page (inside the widget's
// frame) and the team's playground and live conversation view. Replies
// arrive as server-sent events and are shown as they stream. Every text
// is inserted with textContent: nothing a visitor or the model writes is
// ever read as HTML.
(function () {
  "use strict";
  // A live list of conversations refreshes itself while it is shown.
  var live = document.getElementById("live-list");
  if (live) {
    var every = parseInt(live.getAttribute("data-refresh"), 10) || 10;
    setInterval(function () { if (!document.hidden) window.location.reload(); }, every * 1000);
  }
})();
(function () {
  "use strict";
  var root = document.getElementById("agent-chat");
  if (!root) return;
  var mode = root.getAttribute("data-mode"); // visitor, playground, watch
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var status = document.getElementById("chat-status");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var key = root.getAttribute("data-key") || "";
  var base = root.getAttribute("data-base") || "";
  var storeKey = "agentchat:" + key;
  var conv = null; // {id, token}
  var source = null;
  var current = null; // the assistant bubble being streamed
  var sending = false;

  function bubble(role, text, label) {
    var li = document.createElement("li");
    li.className = "msg msg-" + role;
    if (label) {
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = label;
      li.appendChild(who);
    }
    var p = document.createElement("div");
    p.className = "text";
    p.textContent = text || "";
    li.appendChild(p);
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return p;
  }
  function notice(text) {
    var li = document.createElement("li");
    li.className = "msg msg-event";
    li.textContent = text;
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }
  function setStatus(text) { if (status) status.textContent = text || ""; }

  function toolRow(t) {
    var li = document.createElement("li");
    li.className = "msg msg-tool" + (t.error ? " tool-error" : "");
    var d = document.createElement("details");
    var s = document.createElement("summary");
    s.textContent = "Tool " + t.name + (t.error ? " refused" : "") + " (" + t.duration_ms + " ms)";
    d.appendChild(s);
    [["Input", t.arguments], [t.error ? "Error" : "Output", t.error || t.result]].forEach(function (kv) {
      var h = document.createElement("strong");
      h.textContent = kv[0];
      var pre = document.createElement("pre");
      pre.textContent = kv[1] || "";
      d.appendChild(h);
      d.appendChild(pre);
    });
    li.appendChild(d);
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }
  function sourcesRow(list) {
    var li = document.createElement("li");
    li.className = "msg msg-sources";
    var d = document.createElement("details");
    var s = document.createElement("summary");
    s.textContent = "Knowledge used: " + list.map(function (x) { return x.title; }).join(", ");
    d.appendChild(s);
    list.forEach(function (x) {
      var h = document.createElement("strong");
      h.textContent = x.title + (x.ref ? " (" + x.ref + ")" : "") + " score " + x.score;
      var p = document.createElement("p");
      p.textContent = x.text || "";
      d.appendChild(h);
      d.appendChild(p);
    });
    li.appendChild(d);
    log.appendChild(li);
  }

  function onEvent(ev) {
    var e;
    try { e = JSON.parse(ev.data); } catch (x) { return; }
    switch (e.type) {
      case "token":
        if (!current) current = bubble("assistant", "");
        current.textContent += e.text;
        log.scrollTop = log.scrollHeight;
        break;
      case "reset":
        if (current && current.parentNode) current.parentNode.remove();
        current = null;
        break;
      case "message":
        if (e.role === "assistant") {
          if (current) current.textContent = e.text; else bubble("assistant", e.text);
          current = null;
          setStatus("");
        } else if (e.role === "human") {
          current = null;
          bubble("human", e.text, "Team");
        } else if (e.role === "user" && mode === "watch") {
          bubble("user", e.text);
        }
        break;
      case "tool":
        if (mode !== "visitor" && e.tool) toolRow(e.tool);
        break;
      case "sources":
        if (mode !== "visitor" && e.sources) sourcesRow(e.sources);
        break;
      case "status":
        if (e.status === "ended") {
          notice("This conversation has ended" + (e.outcome ? " (" + e.outcome.replace("_", " ") + ")" : "") + ".");
          end();
        } else if (e.status === "taken_over") {
          notice("A person from the team has joined the chat.");
        } else if (e.status === "waiting") {
          notice("Someone from the team will join shortly.");
        } else if (e.status === "agent") {
          notice("The assistant is answering again.");
        }
        break;
    }
  }

  function end() {
    if (source) { source.close(); source = null; }
    if (mode === "visitor") {
      try { localStorage.removeItem(storeKey); } catch (x) {}
      conv = null;
      var again = document.getElementById("chat-new");
      if (again) again.hidden = false;
    } else if (form) {
      form.hidden = true;
    }
  }

  function listen(url) {
    if (source) source.close();
    source = new EventSource(url);
    source.onmessage = onEvent;
    var failed = false;
    source.onerror = function () { failed = true; setStatus("Reconnecting…"); };
    source.onopen = function () { if (failed) { setStatus(""); if (mode === "visitor") resync(); } };
  }

  function visitorEvents() { return base + "/c/" + conv.id + "/events?token=" + encodeURIComponent(conv.token); }

  function resync() {
    if (!conv) return Promise.resolve(false);
    return fetch(base + "/c/" + conv.id + "/history?token=" + encodeURIComponent(conv.token)).then(function (r) {
      if (!r.ok) return false;
      return r.json().then(function (h) {
        log.textContent = "";
        current = null;
        h.messages.forEach(function (m) { bubble(m.role, m.text, m.role === "human" ? "Team" : ""); });
        if (h.status !== "active") { end(); return false; }
        return true;
      });
    }).catch(function () { return false; });
  }

  function start() {
    return fetch(base + "/start", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ page: root.getAttribute("data-page") || "" })
    }).then(function (r) {
      return r.json().then(function (b) {
        if (!r.ok) throw new Error(b.error || "The chat could not start.");
        conv = { id: b.id, token: b.token };
        try { localStorage.setItem(storeKey, JSON.stringify(conv)); } catch (x) {}
        listen(visitorEvents());
      });
    });
  }

  function post(url, body) {
    var h = { "Content-Type": "application/json" };
    if (csrf) h["X-CSRF-Token"] = csrf;
    return fetch(url, { method: "POST", headers: h, body: JSON.stringify(body), credentials: "same-origin" }).then(function (r) {
      if (r.ok) return;
      return r.json().catch(function () { return {}; }).then(function (b) { throw new Error(b.error || "The message was not sent (" + r.status + ")."); });
    });
  }

  function send(text) {
    if (mode === "visitor") {
      var ready = conv ? Promise.resolve() : start();
      return ready.then(function () {
        return post(base + "/c/" + conv.id + "/messages", { text: text, token: conv.token });
      });
    }
    return post(root.getAttribute("data-send"), { text: text });
  }

  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (!text || sending) return;
      sending = true;
      var shown = text.length > 4000 ? text.slice(0, 300) + " …" : text;
      if (mode !== "watch") bubble("user", shown);
      input.value = "";
      setStatus(mode === "watch" ? "" : "…");
      send(text).catch(function (e) { setStatus(e.message); }).then(function () { sending = false; input.focus(); });
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
    });
  }
  var close = document.getElementById("chat-close");
  if (close) close.addEventListener("click", function () { window.parent.postMessage({ agentChat: "close" }, "*"); });
  var again = document.getElementById("chat-new");
  if (again) again.addEventListener("click", function () {
    again.hidden = true;
    log.textContent = "";
    var g = root.getAttribute("data-greeting");
    if (g) bubble("assistant", g);
  });

  if (mode === "visitor") {
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(storeKey) || "null"); } catch (x) {}
    var greet = function () { var g = root.getAttribute("data-greeting"); if (g) bubble("assistant", g); };
    if (saved && saved.id && saved.token) {
      conv = saved;
      resync().then(function (ok) {
        if (ok) listen(visitorEvents());
        else { conv = null; try { localStorage.removeItem(storeKey); } catch (x) {} log.textContent = ""; greet(); }
      });
    } else {
      greet();
    }
  } else {
    listen(root.getAttribute("data-events"));
    log.scrollTop = log.scrollHeight;
  }
})();
