// The demo shop's own script: it proves the host page keeps working with the widget on it,
// and shows the window.Baton API a site owner would use.
(function () {
  var status = document.getElementById("page-status");
  var ask = document.getElementById("ask");
  var messages = 0;
  document.body.setAttribute("data-shop-script", "ran");
  if (ask) ask.addEventListener("click", function () { window.Baton && window.Baton.open(); });
  function subscribe() {
    if (!window.Baton || !window.Baton.on) return setTimeout(subscribe, 100);
    window.Baton.on("message", function () {
      messages += 1;
      if (status) status.textContent = "The page's own script is running. Chat messages seen: " + messages + ".";
    });
  }
  subscribe();
})();
