// Booking page: on the first visit, show times in the visitor's own time
// zone (detected by the browser) by reloading with ?tz=; the field stays
// editable, and the page works without this script (times in UTC).
(function () {
  "use strict";
  var tz = document.getElementById("tz");
  if (!tz || tz.getAttribute("data-detect") !== "yes") return;
  var params = new URLSearchParams(window.location.search);
  if (params.get("tz")) return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone || zone === tz.value) return;
  params.set("tz", zone);
  window.location.replace(window.location.pathname + "?" + params.toString());
})();
