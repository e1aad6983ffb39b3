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
    docExpansion: "list",
    defaultModelsExpandDepth: -1,
    persistAuthorization: false,
    tryItOutEnabled: false
  });
})();
