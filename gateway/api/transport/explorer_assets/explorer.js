// The explorer page's bootstrap, a file of its own because the page's Content-Security-Policy
// allows no inline script. The example it opens with (dated today by the gateway) is in the
// data-example attribute. GraphiQL keeps earlier tabs in localStorage and opens the example in
// a tab of its own (reusing a tab that holds exactly it); headers, where an API key may be
// typed, are not persisted.
"use strict";
(function () {
  // The one <style> element GraphiQL adds (its dialogs' scroll lock, through
  // react-style-singleton) takes its nonce from this global; the page's CSP allows that nonce
  // and no other inline style.
  window.__webpack_nonce__ = document.currentScript.nonce;
  const root = document.getElementById("graphiql");
  const example = JSON.parse(root.dataset.example);
  // POST with content-type application/json: no CSRF header needed (gateway/api/csrf.py).
  const fetcher = GraphiQL.createFetcher({ url: example.endpoint });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      query: example.query,
      variables: example.variables,
      defaultEditorToolsVisibility: "variables",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    }),
  );
})();
