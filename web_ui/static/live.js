// Live updates: when the node says its governance state changed, fetch this page again
// and swap in the part marked data-live (forms being typed into are left alone).
(function () {
  var region = document.querySelector("[data-live]");
  if (!region || !window.EventSource) return;
  var busy = false;
  function typing() {
    var el = document.activeElement;
    return el && region.contains(el) && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) && el.value;
  }
  function refresh() {
    if (busy || typing()) return;
    busy = true;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-live]");
        if (fresh) region.innerHTML = fresh.innerHTML;
      })
      .finally(function () { busy = false; });
  }
  var source = new EventSource(region.getAttribute("data-live"));
  source.addEventListener("change", refresh);
})();
