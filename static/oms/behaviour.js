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
