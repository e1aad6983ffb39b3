// Chat widget loader for an AI agent. On any site:
//   <script src="https://PORTAL/chat/widget.js" data-agent="ag_..." async></script>
// It adds a chat button in the corner and, when opened, a frame with the
// chat (served by the appliance, in the tenant's brand). No other script
// is loaded and nothing of the page is read except its address.
(function () {
  "use strict";
  var s = document.currentScript || document.querySelector("script[data-agent]");
  if (!s || s.getAttribute("data-agent-done")) return;
  s.setAttribute("data-agent-done", "1");
  var key = s.getAttribute("data-agent") || "";
  if (!/^ag_[A-Za-z0-9_-]{4,60}$/.test(key)) return;
  // data-unframed: only on the page itself (a hosted form framed by
  // another site gets no chat button inside its frame).
  var framed = true;
  try { framed = window.self !== window.top; } catch (e) {}
  if (s.hasAttribute("data-unframed") && framed) return;
  var base;
  try { base = new URL(s.src).origin; } catch (e) { return; }
  var label = s.getAttribute("data-label") || "Chat with us";
  var color = s.getAttribute("data-color") || "#1d4ed8";
  if (!/^#[0-9a-fA-F]{3,8}$/.test(color)) color = "#1d4ed8";

  var btn = document.createElement("button");
  btn.type = "button";
  btn.setAttribute("aria-label", label);
  btn.setAttribute("aria-expanded", "false");
  btn.textContent = label;
  var bs = btn.style;
  bs.position = "fixed"; bs.right = "20px"; bs.bottom = "20px"; bs.zIndex = "2147483000";
  bs.background = color; bs.color = "#fff"; bs.border = "0"; bs.borderRadius = "24px";
  bs.padding = "12px 18px"; bs.font = "600 15px system-ui, sans-serif"; bs.cursor = "pointer";
  bs.boxShadow = "0 4px 14px rgba(0,0,0,.25)";

  var frame = null;
  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      var page = "";
      try { page = window.location.origin + window.location.pathname; } catch (e) {}
      frame.src = base + "/chat/" + encodeURIComponent(key) + "?page=" + encodeURIComponent(page.slice(0, 200));
      frame.title = label;
      frame.setAttribute("allow", "");
      var fs = frame.style;
      fs.position = "fixed"; fs.right = "20px"; fs.bottom = "76px"; fs.zIndex = "2147483000";
      fs.width = "min(380px, calc(100vw - 40px))"; fs.height = "min(560px, calc(100vh - 100px))";
      fs.border = "0"; fs.borderRadius = "12px"; fs.boxShadow = "0 8px 30px rgba(0,0,0,.3)"; fs.background = "#fff";
      document.body.appendChild(frame);
      window.addEventListener("message", function (ev) {
        if (ev.origin !== base || ev.source !== frame.contentWindow) return;
        if (ev.data && ev.data.agentChat === "close") close();
      });
    }
    frame.style.display = "block";
    btn.setAttribute("aria-expanded", "true");
  }
  function close() {
    if (frame) frame.style.display = "none";
    btn.setAttribute("aria-expanded", "false");
    btn.focus();
  }
  btn.addEventListener("click", function () {
    if (frame && frame.style.display !== "none") close(); else open();
  });
  function add() { document.body.appendChild(btn); }
  if (document.body) add(); else document.addEventListener("DOMContentLoaded", add);
})();
