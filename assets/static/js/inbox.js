// Conversations: a live inbox (SSE: a change reloads the list and the
// open thread in place, keeping what is being typed), canned replies and
// keyboard shortcuts. Without JavaScript every action is a plain form.
(function () {
  var box = document.getElementById('inbox');
  if (!box) return;
  var reply = document.getElementById('reply-text');
  var canned = document.getElementById('canned');
  if (canned && reply) {
    canned.addEventListener('change', function () {
      if (canned.value) { reply.value = canned.value; reply.focus(); canned.value = ''; }
    });
  }
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) return;
      var doc = new DOMParser().parseFromString(html, 'text/html');
      ['inbox-list', 'inbox-messages', 'conv-status'].forEach(function (id) {
        var cur = document.getElementById(id), next = doc.getElementById(id);
        if (cur && next) cur.innerHTML = next.innerHTML;
      });
      var ms = document.getElementById('inbox-messages');
      if (ms) ms.scrollTop = ms.scrollHeight;
      box.setAttribute('data-refreshed', String(Date.now()));
    }).finally(function () {
      busy = false;
      if (again) { again = false; refresh(); }
    });
  }
  var ms = document.getElementById('inbox-messages');
  if (ms) ms.scrollTop = ms.scrollHeight;
  if (window.EventSource) {
    var es = new EventSource(box.getAttribute('data-events'));
    es.onmessage = function (e) {
      var ev;
      try { ev = JSON.parse(e.data); } catch (_) { return; }
      box.setAttribute('data-last-event', e.data);
      refresh();
    };
  }
  document.addEventListener('keydown', function (e) {
    var t = e.target.tagName;
    if (t === 'INPUT' || t === 'TEXTAREA' || t === 'SELECT' || e.ctrlKey || e.metaKey || e.altKey) return;
    var links = Array.prototype.slice.call(document.querySelectorAll('#inbox-list a[data-id]'));
    var cur = box.getAttribute('data-conversation');
    var i = links.findIndex(function (a) { return a.getAttribute('data-id') === cur; });
    if (e.key === 'j' && links.length) { location.href = links[Math.min(i + 1, links.length - 1)].href; }
    else if (e.key === 'k' && links.length) { location.href = links[Math.max(i - 1, 0)].href; }
    else if (e.key === 'r' && reply) { e.preventDefault(); reply.focus(); }
    else if (e.key === 'n' && document.getElementById('note-text')) { e.preventDefault(); document.getElementById('note-text').focus(); }
    else if (e.key === '/' && document.getElementById('inbox-search')) { e.preventDefault(); document.getElementById('inbox-search').focus(); }
  });
})();
