// django-import-export's export form binds its "select all" box with an inline onchange=, which the
// Content-Security-Policy refuses; our copy of the template drops it and this binds the library's handler.
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches(".select-toggle") && window.onSelectToggleChange) {
    window.onSelectToggleChange(event);
  }
});
