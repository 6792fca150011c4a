// A released leaderboard page is the same for everyone and may be cached by the browser and
// nginx: it carries no CSRF token and no reader. This script fetches the reader's own line
// (getLeaderboard with limit=1, highlighted in the table or shown above it); app.js fills in
// the reader's menu and the forms' CSRF token, as on every shared page.
(function () {
  "use strict";
  var mine = document.getElementById("my-rank");
  if (!mine) { return; }
  window.MX.fetchJSON(mine.getAttribute("data-url")).then(function (res) {
    if (!res.ok || !res.data || !res.data.me) { return; }
    var me = res.data.me;
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
  }).catch(function () { return null; });
})();
