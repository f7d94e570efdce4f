// Behaviour every page shares, as data- attributes instead of inline handlers (the
// Content-Security-Policy allows no inline script):
//   <form data-confirm="确定……？">  asks before submitting;
//   <button data-print>             prints the page;
//   <form data-signout>             signing out also empties the pages kept for offline use.
// It also registers the service worker (/sw.js, anjian/pwa.py) that keeps pages for offline use.
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

document.addEventListener("submit", function (event) {
  if (event.target.hasAttribute("data-signout") && navigator.serviceWorker &&
      navigator.serviceWorker.controller) {
    navigator.serviceWorker.controller.postMessage("signed-out");
  }
});

if ("serviceWorker" in navigator && window.isSecureContext) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
      // No worker (private mode, old browser): the site works as before, only not offline.
    });
  });
}
