// Checkbox lists with a filter box (macros/forms.html "checklist"): type part of a name to
// narrow the list; ticked boxes stay visible. Without this script the whole list shows.
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  }
  document.querySelectorAll("[data-checklist]").forEach(function (box) {
    var filter = box.querySelector("[data-checklist-filter]");
    var count = box.querySelector("[data-checklist-count]");
    var items = box.querySelectorAll("li.form-check");
    function update() {
      var query = fold(filter.value.trim());
      var chosen = 0;
      items.forEach(function (item) {
        var input = item.querySelector("input");
        if (input.checked) { chosen += 1; }
        item.hidden = !!query && !input.checked && fold(item.textContent).indexOf(query) === -1;
      });
      count.textContent = count.getAttribute("data-template").replace("{n}", chosen);
    }
    filter.hidden = false;
    count.hidden = false;
    filter.addEventListener("input", update);
    box.addEventListener("change", update);
    update();
  });
})();
