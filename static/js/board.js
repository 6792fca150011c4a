// A released leaderboard page is the same for everyone and may be cached by the browser and
// nginx: it carries no CSRF token and no reader. This script fetches what is the reader's own:
// their line (getLeaderboard with limit=1, highlighted in the table or shown above it) and a
// CSRF token for the page's forms (the language switch).
(function () {
  "use strict";
  var mine = document.getElementById("my-rank");
  if (!mine) { return; }
  var get = function (url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  };
  get(mine.getAttribute("data-url")).then(function (board) {
    if (!board || !board.me) { return; }
    var me = board.me;
    mine.textContent = mine.getAttribute("data-msg-rank").replace("{rank}", String(me.rank));
    mine.hidden = false;
    var rows = document.querySelectorAll("tr[data-rank]");
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      if (row.getAttribute("data-rank") === String(me.rank) &&
          row.getAttribute("data-name") === me.name) {
        row.classList.add("table-success");
        row.setAttribute("aria-current", "true");
      }
    }
  });
  get("/api/v1/auth/csrf").then(function (data) {
    if (!data || !data.csrf_token) { return; }
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { meta.setAttribute("content", data.csrf_token); }
    var inputs = document.querySelectorAll('input[name="csrf_token"]');
    for (var i = 0; i < inputs.length; i++) {
      if (!inputs[i].value) { inputs[i].value = data.csrf_token; }
    }
  });
})();
