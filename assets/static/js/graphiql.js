// GraphQL playground: posts the query and variables to /graphql with the
// pasted API key and shows the answer. The key stays in this page.
(function () {
  var form = document.getElementById("gql-form");
  if (!form) return;
  var out = document.getElementById("gql-result");
  var status = document.getElementById("gql-status");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var vars = {};
    var vtext = document.getElementById("gql-variables").value.trim();
    if (vtext) {
      try { vars = JSON.parse(vtext); } catch (e) { status.textContent = "Variables are not JSON: " + e.message; return; }
    }
    status.textContent = "Running…";
    fetch(form.getAttribute("data-endpoint"), {
      method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": "Bearer " + document.getElementById("gql-key").value.trim()},
      body: JSON.stringify({query: document.getElementById("gql-query").value, variables: vars}),
      credentials: "omit"
    }).then(function (r) {
      status.textContent = "HTTP " + r.status;
      return r.text();
    }).then(function (t) {
      try { t = JSON.stringify(JSON.parse(t), null, 2); } catch (e) {}
      out.textContent = t;
    }).catch(function (e) { status.textContent = "Failed: " + e.message; });
  });
})();
