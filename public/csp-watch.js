// Records Content-Security-Policy violations on the page, so the demo (and its browser tests)
// can show that Baton needs nothing the strict policy forbids. Load it first, synchronously.
(function () {
  var seen = (window.__cspViolations = []);
  document.addEventListener("securitypolicyviolation", function (e) {
    seen.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
    if (window.console) console.warn("[csp] blocked", e.violatedDirective, e.blockedURI);
  });
})();
