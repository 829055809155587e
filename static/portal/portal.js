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

  /* A form sent once: its button is disabled after the first submit (a double click would
     send it twice; the server refuses the second anyway). */
  function sendOnce(form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sent")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sent", "1");
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) {
        b.setAttribute("aria-disabled", "true");
        b.classList.add("is-busy");
      });
    });
  }

  /* "2 d 03:04:05" until a tender closes, from the <time> the server wrote in China time. */
  function countdown(element) {
    var closes = Date.parse(element.getAttribute("data-countdown"));
    if (isNaN(closes)) return;
    var days = element.getAttribute("data-unit-days") || "d";
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function tick() {
      var left = Math.floor((closes - Date.now()) / 1000);
      if (left <= 0) {
        element.textContent = element.getAttribute("data-closed") || "";
        return false;
      }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
      var m = Math.floor(left % 3600 / 60), s = left % 60;
      element.textContent = (d ? d + " " + days + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
      return true;
    }
    element.hidden = false;
    if (tick()) {
      var timer = window.setInterval(function () { if (!tick()) window.clearInterval(timer); }, 1000);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), sendOnce);
    Array.prototype.forEach.call(document.querySelectorAll("[data-countdown]"), countdown);
    Array.prototype.forEach.call(document.querySelectorAll("[data-formset]"), setUpFormset);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
      form.addEventListener("submit", askFirst);
    });
  });
})();

/* JIT orders: the countdowns to each order's deadlines tick every second (the page shows the
   deadlines and the time left at loading without this), rows turn "at risk" and "late" as the
   time passes, a typed waybill ticks its order, the packing-list link follows the ticked
   orders, and the packing list gets a print button. */
(function () {
  "use strict";

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function format(seconds, days) {
    var d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600);
    var m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    return (d ? d + " " + days + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  }

  function tick() {
    var now = Date.now();
    each("[data-deadline]", function (element) {
      var at = Date.parse(element.getAttribute("data-deadline"));
      if (isNaN(at)) return;
      var left = Math.floor((at - now) / 1000);
      var days = element.getAttribute("data-unit-days") || "d";
      element.textContent = left >= 0
        ? format(left, days)
        : (element.getAttribute("data-late-label") || "-") + " " + format(-left, days);
      element.classList.toggle("is-late", left < 0);
    });
    each("tr[data-late-at]", function (row) {
      var late = now >= Date.parse(row.getAttribute("data-late-at"));
      var risk = !late && now >= Date.parse(row.getAttribute("data-risk-at"));
      row.classList.toggle("row-late", late);
      row.classList.toggle("row-risk", risk);
      var latePill = row.querySelector(".pill-late"), riskPill = row.querySelector(".pill-risk");
      if (latePill) latePill.hidden = !late;
      if (riskPill) riskPill.hidden = !risk;
    });
  }

  function followTicks(form) {
    var link = form.querySelector("a[data-packing-list]");
    var all = link && link.getAttribute("href");
    function update() {
      if (!link) return;
      var ids = [];
      each("form.ship-form input[name=ids]:checked", function (box) { ids.push(box.value); });
      link.setAttribute("href", ids.length ? link.getAttribute("data-packing-list") + "?ids=" + ids.join(",") : all);
    }
    form.addEventListener("change", update);
    form.addEventListener("input", function (event) {
      var input = event.target;
      if (!input.classList || !input.classList.contains("waybill")) return;
      var box = input.closest("tr") && input.closest("tr").querySelector("input[name=ids]");
      if (box && input.value.trim() && !box.checked) {
        box.checked = true;
        update();
      }
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-deadline]")) {
      tick();
      window.setInterval(tick, 1000);
    }
    each("form.ship-form", followTicks);
    each("button[data-print]", function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
