// Starts Swagger UI on the document this server serves. A file of its own rather than an inline
// script, so that the page's Content-Security-Policy can allow scripts from the server only.
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    // Relative to the page (`/@api/docs`): `/@api/openapi.json`, also behind a proxy that
    // serves the API under another origin.
    url: new URL(root.dataset.document, document.baseURI).href,
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // The default sends the document's address to Swagger's online validator for a badge; the
    // page talks to this server only.
    validatorUrl: null,
    // Never load another document named in the page's query string.
    queryConfigEnabled: false,
    deepLinking: true,
    displayOperationId: true,
    displayRequestDuration: true,
    filter: true,
    // Keep a token only as long as the tab is open.
    persistAuthorization: false,
    defaultModelsExpandDepth: 0,
  });
})();
