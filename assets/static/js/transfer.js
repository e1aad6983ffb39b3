// A tenant export in progress: the page reloads itself until it is done.
(function () {
  "use strict";
  var running = document.getElementById("export-running");
  if (running) {
    var every = parseInt(running.getAttribute("data-refresh"), 10) || 2;
    setInterval(function () { if (!document.hidden) window.location.reload(); }, every * 1000);
  }
})();
