// The portal works without this script. Where it runs, it shows the price as the form is filled in (R-ORD-1),
// shows only the declarations of the chosen offering, and brings the error summary into view.
"use strict";

(function () {
  function livePrice(form) {
    var price = document.getElementById("price-text");
    if (!price) return;
    var template = price.getAttribute("data-template");
    var language = document.documentElement.lang || "sv";
    var money = new Intl.NumberFormat(language, { style: "currency", currency: "SEK", maximumFractionDigits: 0 });

    function update() {
      var chosen = form.querySelector("input[name=offering_id]:checked");
      var units = form.querySelectorAll("input[name$=-name][name^=care_units-]");
      var count = 0;
      units.forEach(function (input) { if (input.value.trim()) count += 1; });
      if (!chosen) return;
      var fee = Number(chosen.getAttribute("data-start-up-fee"));
      var each = Number(chosen.getAttribute("data-price-per-care-unit"));
      price.textContent = template
        .replace("{fee}", money.format(fee))
        .replace("{count}", String(count))
        .replace("{each}", money.format(each))
        .replace("{total}", money.format(fee + count * each));
    }

    function declarations() {
      var chosen = form.querySelector("input[name=offering_id]:checked");
      form.querySelectorAll(".declaration").forEach(function (item) {
        var asked = (item.getAttribute("data-offerings") || "").split(" ");
        item.hidden = Boolean(chosen) && asked.indexOf(chosen.value) === -1;
      });
    }

    form.addEventListener("input", update);
    form.addEventListener("change", function () { update(); declarations(); });
    update();
    declarations();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
    var form = document.querySelector("form.order-form");
    if (form) livePrice(form);
  });
})();
