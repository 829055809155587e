/* Seller portal: small enhancements only; every page works without them. */
(function () {
  "use strict";

  /* A formset's "Add another" button: copies the empty row in its <template>. */
  function setUpFormset(box) {
    var prefix = box.getAttribute("data-formset");
    var total = box.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    var max = box.querySelector("#id_" + prefix + "-MAX_NUM_FORMS");
    var template = box.querySelector("template");
    var list = box.querySelector("[data-formset-list]");
    var button = box.querySelector("[data-formset-add]");
    if (!total || !template || !list || !button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) return;
      var html = template.innerHTML
        .replace(/__prefix__/g, String(index))
        .replace(/__number__/g, String(index + 1));
      list.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = list.lastElementChild && list.lastElementChild.querySelector("select, input");
      if (first) first.focus();
      if (max && index + 1 >= parseInt(max.value, 10)) button.hidden = true;
    });
  }

  /* Forms that change something hard to undo ask first. */
  function askFirst(event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-formset]"), setUpFormset);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
      form.addEventListener("submit", askFirst);
    });
  });
})();
