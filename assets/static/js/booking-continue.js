// A booking made in a site page's booking block goes on to the funnel's
// next step: the whole page, not the frame, moves there.
(function () {
  var a = document.getElementById("booking-continue");
  if (a) {
    window.top.location.href = a.href;
  }
})();
