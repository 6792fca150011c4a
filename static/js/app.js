// Site-wide behaviour. No inline scripts: the CSP allows only files from this site.
// Loaded with defer in <head>: page scripts (also deferred) run after it and can use window.MX.
(function () {
  "use strict";
  // The menu toggle, the user menu and closing a message are all the Bootstrap script the pages
  // need, so they are done here and its 80 KB bundle stays off the wire. A page that uses any
  // other Bootstrap component through data-bs-* attributes gets the bundle loaded instead.
  var SMALL = '[data-bs-toggle="collapse"], [data-bs-toggle="dropdown"], [data-bs-dismiss="alert"]';
  var needsBundle = Array.prototype.some.call(
    document.querySelectorAll("[data-bs-toggle], [data-bs-dismiss]"),
    function (el) { return !el.matches(SMALL); }
  );
  var self = document.currentScript || document.querySelector("script[data-bootstrap]");
  if (needsBundle && self && self.getAttribute("data-bootstrap")) {
    var bundle = document.createElement("script");
    bundle.src = self.getAttribute("data-bootstrap");
    document.head.appendChild(bundle);
  } else {
    var closeMenus = function (except) {
      document.querySelectorAll('[data-bs-toggle="dropdown"][aria-expanded="true"]').forEach(function (toggle) {
        if (toggle === except) { return; }
        toggle.setAttribute("aria-expanded", "false");
        var menu = toggle.parentElement.querySelector(".dropdown-menu");
        if (menu) { menu.classList.remove("show"); }
      });
    };
    document.addEventListener("click", function (event) {
      var toggle = event.target.closest(SMALL);
      if (!toggle) {
        if (!event.target.closest(".dropdown-menu")) { closeMenus(null); }
        return;
      }
      var kind = toggle.getAttribute("data-bs-toggle");
      if (kind === "collapse") {
        var panel = document.querySelector(toggle.getAttribute("data-bs-target") || toggle.getAttribute("href"));
        if (panel) {
          var open = panel.classList.toggle("show");
          toggle.setAttribute("aria-expanded", open ? "true" : "false");
        }
      } else if (kind === "dropdown") {
        event.preventDefault();
        var menu = toggle.parentElement.querySelector(".dropdown-menu");
        closeMenus(toggle);
        if (menu) {
          menu.setAttribute("data-bs-popper", "static");
          var shown = menu.classList.toggle("show");
          toggle.setAttribute("aria-expanded", shown ? "true" : "false");
        }
      } else {
        var alert = toggle.closest(".alert");
        if (alert) { alert.remove(); }
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      var open = document.querySelector('[data-bs-toggle="dropdown"][aria-expanded="true"]');
      if (open) { closeMenus(null); open.focus(); }
    });
  }
  // Progress bars: widths come from data-width (inline styles are not allowed by the CSP).
  document.querySelectorAll("[data-width]").forEach(function (bar) {
    var value = Math.max(0, Math.min(100, parseFloat(bar.getAttribute("data-width")) || 0));
    bar.style.width = value + "%";
  });
  // A table wider than the screen scrolls in its own box: keyboard users reach it with Tab
  // (tabindex, a named region), so it can be scrolled with the arrow keys.
  var tableLabel = self ? self.getAttribute("data-msg-table") : "";
  var labelScrollers = function () {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      if (box.scrollWidth <= box.clientWidth + 1) {
        if (box.hasAttribute("data-scroll-region")) {
          box.removeAttribute("tabindex");
          box.removeAttribute("role");
          box.removeAttribute("data-scroll-region");
        }
        return;
      }
      if (box.hasAttribute("tabindex")) { return; }
      var caption = box.querySelector("caption");
      var section = box.closest("section[aria-labelledby]");
      var heading = section ? document.getElementById(section.getAttribute("aria-labelledby")) : null;
      var name = (caption && caption.textContent) || (heading && heading.textContent) || tableLabel;
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("data-scroll-region", "");
      if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
        box.setAttribute("aria-label", name.trim());
      }
    });
  };
  labelScrollers();
  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(labelScrollers, 200);
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

// A page shared by everyone (a released leaderboard, cached by browsers and nginx) names no
// reader and holds no CSRF token: ask who is signed in and show their menu in place of
// "Sign in", and fetch a token for the page's forms (sign-out, the language switch).
(function () {
  "use strict";
  var readerMenu = document.getElementById("reader-menu");
  if (!readerMenu) { return; }
  var ignore = function () { return { ok: false }; };
  window.MX.fetchJSON(readerMenu.getAttribute("data-me")).catch(ignore).then(function (res) {
    if (!res.ok || !res.data) { return; }
    readerMenu.querySelectorAll("[data-slot]").forEach(function (slot) {
      slot.textContent = res.data[slot.getAttribute("data-slot")] || "";
    });
    document.querySelectorAll("[data-signed-out]").forEach(function (item) { item.hidden = true; });
    readerMenu.hidden = false;
  });
  window.MX.fetchJSON(readerMenu.getAttribute("data-csrf")).catch(ignore).then(function (res) {
    var token = res.ok && res.data && res.data.csrf_token;
    if (!token) { return; }
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { meta.setAttribute("content", token); }
    document.querySelectorAll('input[name="csrf_token"]').forEach(function (input) {
      if (!input.value) { input.value = token; }
    });
  });
})();
