// Live refresh of the queue: every 20 s the rows are fetched again and replaced. The
// header marks the request as a background refresh, so it does not count as activity
// for the idle timeout. A signed-out session reloads the page (which shows the login).
(function () {
  "use strict";
  var rows = document.querySelector("[data-refresh]");
  if (!rows) return;
  var stamp = document.getElementById("refreshed");
  setInterval(function () {
    // Someone working the table with the keyboard keeps their focus.
    if (rows.contains(document.activeElement)) return;
    fetch(rows.getAttribute("data-refresh"), { headers: { "X-Live-Refresh": "1" }, credentials: "same-origin" })
      .then(function (r) {
        if (r.redirected || r.status === 401) { location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        rows.innerHTML = html;
        if (stamp) stamp.textContent = "Stand: " + new Date().toLocaleTimeString("de-DE");
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }, 20000);
})();
