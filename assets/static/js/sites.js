// Published sites: countdown blocks tick down to their deadline. The page
// shows the deadline as a date without this script.
(function () {
  var timers = document.querySelectorAll(".timer[data-deadline]");
  if (!timers.length) return;
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    var now = Date.now();
    timers.forEach(function (el) {
      var end = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(end)) return;
      var s = Math.max(0, Math.floor((end - now) / 1000));
      var d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
      var t = el.querySelector("time");
      if (t) t.textContent = s === 0 ? "Ended" : d + "d " + pad(h) + "h " + pad(m) + "m " + pad(s % 60) + "s";
    });
  }
  tick();
  setInterval(tick, 1000);
})();
