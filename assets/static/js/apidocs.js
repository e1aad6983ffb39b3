// API & developer tools: starts the vendored Swagger UI on the OpenAPI
// document (#swagger-ui data-spec), so "Try it out" sends real requests
// with the key pasted under Authorize.
(function () {
  var el = document.getElementById("swagger-ui");
  if (!el || !window.SwaggerUIBundle) return;
  window.ui = window.SwaggerUIBundle({
    url: el.getAttribute("data-spec"),
    domNode: el,
    deepLinking: false,
    // One section per module, closed: a module opened lists its
    // operations (a flat list of them all is past the 150 rows Swagger UI
    // renders only as they scroll into view).
    docExpansion: "none",
    defaultModelsExpandDepth: -1,
    persistAuthorization: false,
    tryItOutEnabled: false
  });
})();
