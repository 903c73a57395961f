// Adds the session's CSRF token to every htmx request (decision 0011). A file, not an inline
// script, so the Content-Security-Policy can forbid inline scripts.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) {
    event.detail.headers["X-CSRF-Token"] = meta.content;
  }
});
