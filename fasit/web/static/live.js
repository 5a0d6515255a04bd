// Live updates: when the server says the state moved, fetch this page again and swap in its
// content. No framework, no build step; the page works the same without it (reload).
(function () {
  "use strict";
  var indicator = null;
  var refreshing = false;
  var again = false;

  function mark(state) {
    if (indicator) { indicator.dataset.state = state; indicator.title = "live updates: " + state; }
  }

  function typing() {
    var active = document.activeElement;
    var content = document.getElementById("content");
    return active && content && content.contains(active) &&
      (active.tagName === "INPUT" || active.tagName === "SELECT");
  }

  function refresh() {
    if (refreshing) { again = true; return; }
    // Never swap a filter out from under someone typing in it: look again in a moment.
    if (typing()) { window.setTimeout(refresh, 1000); return; }
    refreshing = true;
    fetch(window.location.href, { headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("content");
        var content = document.getElementById("content");
        if (fresh && content) {
          content.replaceChildren.apply(content, Array.from(fresh.childNodes));
          document.body.dataset.refreshed = String(Date.now());
        }
      })
      .catch(function () { mark("reconnecting"); })
      .finally(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    indicator = document.getElementById("live");
    if (!window.EventSource) { mark("unsupported"); return; }
    var events = new EventSource(document.body.dataset.events);
    events.addEventListener("hello", function () { mark("live"); });
    events.addEventListener("change", function () { mark("live"); refresh(); });
    events.onerror = function () { mark("reconnecting"); };
  });
})();
