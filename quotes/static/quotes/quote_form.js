// The quote form: add and remove lines, live totals. The server recomputes everything
// on save; this is only a preview with the same rounding (half up, to the cent).
(function () {
  "use strict";
  var form = document.getElementById("quote-form");
  if (!form) return;
  var rows = document.getElementById("line-rows");
  var template = document.getElementById("line-template");
  var total = form.querySelector("input[name$='-TOTAL_FORMS']");
  var prefix = total.name.replace(/-TOTAL_FORMS$/, "");
  var fmt = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var fmtInt = new Intl.NumberFormat("en-US");

  function field(row, name) {
    return row.querySelector("[name$='-" + name + "']");
  }
  function number(input) {
    var value = parseFloat((input && input.value || "").replace(/,/g, ""));
    return isFinite(value) ? value : 0;
  }
  // Cents as integers: 0.1 + 0.2 style float noise never reaches the screen.
  function cents(value) {
    return Math.round((value + Number.EPSILON) * 100);
  }
  function currency() {
    var select = form.querySelector("select[name='currency']");
    return select ? select.value : "";
  }
  function refresh() {
    var tokens = 0, gross = 0, net = 0;
    rows.querySelectorAll("[data-line]").forEach(function (row) {
      var removed = field(row, "DELETE");
      if (removed && removed.checked) return;
      var t = Math.max(0, Math.floor(number(field(row, "tokens"))));
      var price = number(field(row, "unit_price"));
      var discount = Math.min(100, Math.max(0, number(field(row, "discount_pct"))));
      var g = cents(t * price);
      var n = cents(t * price * (100 - discount) / 100);
      tokens += t; gross += g; net += n;
      row.querySelector("[data-net]").textContent = fmt.format(n / 100);
    });
    var c = currency();
    document.getElementById("t-tokens").textContent = fmtInt.format(tokens);
    document.getElementById("t-gross").textContent = c + " " + fmt.format(gross / 100);
    document.getElementById("t-discount").textContent = c + " " + fmt.format((gross - net) / 100);
    document.getElementById("t-net").textContent = c + " " + fmt.format(net / 100);
  }
  function remove(row) {
    var flag = field(row, "DELETE");
    if (flag) flag.checked = true;
    row.hidden = true;
    if (!rows.querySelector("[data-line]:not([hidden])")) addLine();
    refresh();
  }
  function addLine() {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var row = rows.lastElementChild;
    var visible = rows.querySelectorAll("[data-line]:not([hidden])");
    var previous = visible.length > 1 ? visible[visible.length - 2] : null;
    if (previous) {
      field(row, "description").value = field(previous, "description").value;
      field(row, "unit_price").value = field(previous, "unit_price").value;
    }
    field(row, "description").focus();
    refresh();
  }
  rows.addEventListener("input", refresh);
  rows.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove]");
    if (button) remove(button.closest("[data-line]"));
  });
  document.getElementById("add-line").addEventListener("click", addLine);
  // A new currency takes its list price on the lines that still hold the old list price;
  // a price someone typed is left alone.
  var listPrices = JSON.parse(document.getElementById("list-prices").textContent || "{}");
  var select = form.querySelector("select[name='currency']");
  if (select) {
    var previous = select.value;
    select.addEventListener("change", function () {
      var from = parseFloat(listPrices[previous]), to = listPrices[select.value];
      if (to !== undefined && isFinite(from)) {
        rows.querySelectorAll("[data-line]").forEach(function (row) {
          var price = field(row, "unit_price");
          if (Math.abs(number(price) - from) < 0.00005) price.value = parseFloat(to).toFixed(2);
        });
      }
      previous = select.value;
      refresh();
    });
  }
  refresh();
})();
