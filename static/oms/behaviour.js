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
