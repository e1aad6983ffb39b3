// Embed script for hosted forms. On a client's site:
//   <script src="https://PORTAL/embed.js" data-form="https://PORTAL/f/ID" async></script>
// It inserts an iframe of the form where the script tag is, passes the
// page's utm_source/utm_medium/utm_campaign on, and resizes the frame to
// the height the form reports (form.js). No inline script is needed.
(function () {
  "use strict";
  var scripts = document.querySelectorAll("script[data-form]");
  for (var i = 0; i < scripts.length; i++) {
    var s = scripts[i];
    if (s.getAttribute("data-form-done")) continue;
    s.setAttribute("data-form-done", "1");
    var src;
    try { src = new URL(s.getAttribute("data-form"), s.src); } catch (e) { continue; }
    var page = new URLSearchParams(window.location.search);
    ["utm_source", "utm_medium", "utm_campaign"].forEach(function (k) {
      if (page.get(k) && !src.searchParams.get(k)) src.searchParams.set(k, page.get(k));
    });
    var f = document.createElement("iframe");
    f.src = src.toString();
    f.title = s.getAttribute("data-title") || "Form";
    f.loading = "lazy";
    f.style.border = "0";
    f.style.width = "100%";
    f.style.height = (s.getAttribute("data-height") || "600") + "px";
    s.parentNode.insertBefore(f, s.nextSibling);
    (function (frame, origin) {
      window.addEventListener("message", function (ev) {
        if (ev.source !== frame.contentWindow || ev.origin !== origin) return;
        var d = ev.data;
        if (d && d.hostedFormHeight && typeof d.height === "number" && d.height > 0 && d.height < 20000) {
          frame.style.height = d.height + "px";
        }
      });
    })(f, src.origin);
  }
})();
