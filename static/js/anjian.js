// Behaviour every page shares, as data- attributes instead of inline handlers (the
// Content-Security-Policy allows no inline script):
//   <form data-confirm="确定……？">  asks before submitting;
//   <button data-print>             prints the page.
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
