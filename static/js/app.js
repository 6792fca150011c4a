// Site-wide behaviour. No inline scripts: the CSP allows only files from this site.
(function () {
  "use strict";
  // Progress bars: widths come from data-width (inline styles are not allowed by the CSP).
  document.querySelectorAll("[data-width]").forEach(function (bar) {
    var value = Math.max(0, Math.min(100, parseFloat(bar.getAttribute("data-width")) || 0));
    bar.style.width = value + "%";
  });
  // Buttons that need a confirmation carry data-confirm="question".
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();

// A small JSON client for the API, sending the CSRF token on writes.
window.MX = window.MX || {};
window.MX.csrfToken = function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
};
window.MX.fetchJSON = function (url, options) {
  options = options || {};
  var headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  var method = (options.method || "GET").toUpperCase();
  if (method !== "GET" && method !== "HEAD") {
    headers["X-CSRFToken"] = window.MX.csrfToken();
    if (options.body && typeof options.body !== "string" && !(options.body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(options.body);
    }
  }
  return fetch(url, Object.assign({}, options, { method: method, headers: headers, credentials: "same-origin" }))
    .then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { ok: response.ok, status: response.status, data: data };
      });
    });
};
