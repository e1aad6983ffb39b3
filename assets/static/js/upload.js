// Chunked upload for forms marked data-chunked="<upload URL>" (CSV and
// XLSX imports, wiki attachments and space zips): files of any size (up to
// the server's cap for the form) go up in pieces the body limit accepts,
// in order, with a progress bar; the form's other named fields go with
// the first request. Without this file the form posts the file whole, up
// to the body limit.
(function () {
  "use strict";
  if (!window.fetch || !window.Blob || !Blob.prototype.slice) return;
  document.querySelectorAll("form[data-chunked]").forEach(chunked);
  function chunked(form) {
  // Each form's progress bar and status: inside it, else the page's.
  var bar = form.querySelector("progress") || document.getElementById("upload-progress");
  var label = form.querySelector("[role=status]") || document.getElementById("upload-status");
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
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.name !== "_csrf" && el.type !== "file" && el.type !== "submit" && (el.type !== "checkbox" || el.checked)) params.set(el.name, el.value);
    });
    params.set("name", file.name);
    params.set("size", String(file.size));
    post(base, params, "application/x-www-form-urlencoded")
      .then(function (u) {
        var chunk = u.chunk_size || 524288;
        var offset = 0;
        function next() {
          if (offset >= file.size) {
            show("Uploaded " + mib(file.size) + " (100%). " + (form.dataset.finishing || "Reading the columns…"), file.size, file.size);
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
  }
})();
