/* Hà Nội public-service portal: progressive enhancement only.
   Every page works without this file. */
(function () {
  "use strict";
  if (!document.querySelector || !document.addEventListener) return;

  // 1. Move focus to the error summary so screen readers announce it first.
  var summary = document.querySelector("[data-module='error-summary']");
  if (summary) summary.focus();

  // 2. Error summary links: focus the field and scroll so its label is visible.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var input = document.getElementById(link.getAttribute("href").slice(1));
    if (!input) return;
    event.preventDefault();
    var label = document.querySelector("label[for='" + input.id + "']");
    (label || input).scrollIntoView();
    input.focus({ preventScroll: true });
  });

  // 3. Stop a form from being sent twice by a double tap on a slow connection.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("data-submitted")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitted", "1");
    window.setTimeout(function () { form.removeAttribute("data-submitted"); }, 4000);
  });

  // 4. The catalog's filters start open on a wide screen (closed on a phone).
  var filters = document.getElementById("catalog-filters");
  if (filters && window.matchMedia && window.matchMedia("(min-width: 40.0625em)").matches) {
    filters.open = true;
  }
})();
