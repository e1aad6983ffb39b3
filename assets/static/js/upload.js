// Chunked CSV upload for the import page: files of any size (up to the
// server's per-import cap) go up in pieces the body limit accepts,
// in order, with a progress bar. Without this file the form posts the
// file whole (/crm/import), up to the body limit.
(function () {
  "use strict";
  var form = document.querySelector("form[data-chunked]");
  if (!form || !window.fetch || !window.Blob || !Blob.prototype.slice) return;
  var bar = document.getElementById("upload-progress");
  var label = document.getElementById("upload-status");
  var csrf = form.querySelector("input[name=_csrf]").value;
  var base = form.dataset.chunked;

  function show(text, sent, total) {
    label.textContent = text;
    if (total) {
      bar.max = total;
      bar.value = sent;
    }
  }
  function mib(n) {
    return (n / 1048576).toFixed(1) + " MiB";
  }
  function post(url, body, type) {
    var h = { "X-CSRF-Token": csrf };
    if (type) h["Content-Type"] = type;
    return fetch(url, { method: "POST", body: body, headers: h, credentials: "same-origin" }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          var msg = (j.error && j.error.message) || "The upload failed (" + r.status + ").";
          throw new Error(msg);
        }
        return j;
      });
    });
  }

  form.addEventListener("submit", function (e) {
    var input = form.querySelector("input[type=file]");
    var file = input.files && input.files[0];
    if (!file) return;
    e.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    bar.hidden = false;
    label.hidden = false;
    show("Starting upload…", 0, file.size || 1);
    var params = new URLSearchParams();
    params.set("object", form.querySelector("[name=object]").value);
    params.set("name", file.name);
    params.set("size", String(file.size));
    post(base, params, "application/x-www-form-urlencoded")
      .then(function (u) {
        var chunk = u.chunk_size || 524288;
        var offset = 0;
        function next() {
          if (offset >= file.size) {
            show("Uploaded " + mib(file.size) + " (100%). Reading the columns…", file.size, file.size);
            return post(base + "/" + u.id + "/finish");
          }
          var piece = file.slice(offset, Math.min(offset + chunk, file.size));
          return post(base + "/" + u.id + "?offset=" + offset, piece, "application/octet-stream").then(function (r) {
            offset = r.size;
            var pct = Math.floor((offset * 100) / file.size);
            show("Uploaded " + mib(offset) + " of " + mib(file.size) + " (" + pct + "%)", offset, file.size);
            return next();
          });
        }
        return next();
      })
      .then(function (done) {
        window.location.assign(done.location);
      })
      .catch(function (err) {
        show(err.message);
        button.disabled = false;
      });
  });
})();
