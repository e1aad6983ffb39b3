// Embed script for booking pages. On any site:
//   inline:  <script src="https://HOST/book/embed.js" data-booking="https://HOST/book/SLUG" async></script>
//   pop-up:  <script src="https://HOST/book/embed.js" data-booking="https://HOST/book/SLUG" data-popup="Book a call" async></script>
// Inline inserts an iframe of the booking page where the tag is; pop-up
// inserts a button that opens the page in a dialog over the site.
(function () {
  "use strict";
  var scripts = document.querySelectorAll("script[data-booking]");
  for (var i = 0; i < scripts.length; i++) {
    var s = scripts[i];
    if (s.getAttribute("data-booking-done")) continue;
    s.setAttribute("data-booking-done", "1");
    var src;
    try { src = new URL(s.getAttribute("data-booking"), s.src); } catch (e) { continue; }
    var frame = function () {
      var f = document.createElement("iframe");
      f.src = src.toString();
      f.title = s.getAttribute("data-title") || "Book a time";
      f.style.border = "0";
      f.style.width = "100%";
      f.style.height = (s.getAttribute("data-height") || "760") + "px";
      return f;
    };
    var label = s.getAttribute("data-popup");
    if (!label) {
      s.parentNode.insertBefore(frame(), s.nextSibling);
      continue;
    }
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.className = "orengen-book-button";
    b.addEventListener("click", function () {
      var d = document.createElement("dialog");
      d.style.width = "min(720px, 95vw)";
      d.style.padding = "0";
      var close = document.createElement("button");
      close.type = "button";
      close.textContent = "Close";
      close.addEventListener("click", function () { d.close(); d.remove(); });
      d.appendChild(close);
      d.appendChild(frame());
      document.body.appendChild(d);
      d.showModal();
    });
    s.parentNode.insertBefore(b, s.nextSibling);
  }
})();
