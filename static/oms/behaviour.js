// Small behaviours that used to be inline event handlers (not allowed by the Content-Security-Policy).
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches && target.matches("[data-submit-on-change]")) {
    target.form.submit();
  }
  if (target.matches && target.matches("[data-select-all]")) {
    var name = target.getAttribute("data-select-all");
    document.querySelectorAll('input[name="' + name + '"]').forEach(function (box) { box.checked = target.checked; });
  }
});
// <form data-confirm="…">: ask before submitting (the text says what will happen, e.g. a refund).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
// <span data-percent="40">: a bar's width computed on the server. A style="" attribute would be
// refused by the Content-Security-Policy (no 'unsafe-inline' for styles); element.style is allowed.
function applyPercentWidths() {
  document.querySelectorAll("[data-percent]").forEach(function (bar) {
    bar.style.transition = "none";  // the bar starts where the server put it, as style="" did; later updates animate
    bar.style.width = Math.max(0, Math.min(100, Number(bar.getAttribute("data-percent")) || 0)) + "%";
    void bar.offsetWidth;
    bar.style.transition = "";
  });
}
applyPercentWidths();
