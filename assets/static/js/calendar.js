// Calendar views: drag a booking to another day to move it there at the
// same time of day. The drop fills the booking's own Move form (the
// keyboard way to the same end) and submits it, so the server checks the
// time like any reschedule and the page shows the outcome.
(function () {
  "use strict";
  var status = document.getElementById("cal-status");
  var dragged = null;
  var say = function (msg) { if (status) status.textContent = msg; };
  document.querySelectorAll("li.cal-block[draggable=true]").forEach(function (li) {
    li.addEventListener("dragstart", function (ev) {
      dragged = li;
      li.classList.add("cal-dragging");
      ev.dataTransfer.effectAllowed = "move";
      ev.dataTransfer.setData("text/plain", li.getAttribute("data-booking"));
    });
    li.addEventListener("dragend", function () {
      li.classList.remove("cal-dragging");
      dragged = null;
    });
  });
  var sameRow = function (cell) {
    var from = dragged && dragged.closest("td.cal-cell");
    if (!from) return false;
    var a = from.getAttribute("data-calendar"), b = cell.getAttribute("data-calendar");
    return a === b; // month view: both null
  };
  document.querySelectorAll("td.cal-cell").forEach(function (cell) {
    cell.addEventListener("dragover", function (ev) {
      if (!dragged || !sameRow(cell)) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "move";
      cell.classList.add("cal-over");
    });
    cell.addEventListener("dragleave", function () { cell.classList.remove("cal-over"); });
    cell.addEventListener("drop", function (ev) {
      cell.classList.remove("cal-over");
      if (!dragged || !sameRow(cell)) return;
      ev.preventDefault();
      var li = dragged;
      var form = li.querySelector("form.cal-move-form");
      var input = form && form.querySelector("input[name=local]");
      if (!input) return;
      var date = cell.getAttribute("data-date");
      if (input.value.slice(0, 10) === date) return;
      input.value = date + "T" + li.getAttribute("data-time");
      say("Moving the booking to " + input.value.replace("T", " ") + "…");
      form.submit();
    });
  });
})();
