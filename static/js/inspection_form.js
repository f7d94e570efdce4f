// The inspection form on a phone: search units as you type, add hazard rows, and show the
// fields that fit the chosen unit (an illegal site gets 关闭取缔 instead of a deadline).
// The server re-checks everything; this only saves typing.
(function () {
  "use strict";
  var form = document.getElementById("inspection-form");
  if (!form) return;

  var unitInput = form.querySelector("input[name='unit']");
  var search = document.getElementById("unit-search");
  var results = document.getElementById("unit-results");
  var chosen = document.getElementById("unit-chosen");
  var rows = document.getElementById("hazard-rows");
  var template = document.getElementById("hazard-template");
  var total = form.querySelector("input[name='hazards-TOTAL_FORMS']");
  var noHazards = form.querySelector("input[name='no_hazards']");
  var illegal = search.dataset.illegal === "1";
  var leadName = search.dataset.leadDepartmentName || "";
  var timer = null;
  var latest = 0;

  function applyUnit() {
    form.querySelectorAll("#hazard-rows .hazard-disposal").forEach(function (el) {
      el.hidden = !illegal;
    });
    form.querySelectorAll("#hazard-rows .hazard-deadline").forEach(function (el) {
      el.hidden = illegal;
    });
    rows.querySelectorAll(".hazard-row").forEach(applyLevel);
    form.querySelectorAll("#hazard-rows select[name$='-lead_department'] option[value='']").forEach(
      function (option) {
        option.textContent = leadName ? "默认：" + leadName : "默认：单位的牵头部门";
      }
    );
  }

  // 判定依据 is asked of a 重大 hazard only: shown once 重大 is chosen, or when already filled
  // in or refused.
  function applyLevel(row) {
    var level = row.querySelector("select[name$='-level']");
    var basis = row.querySelector(".hazard-major-basis");
    if (!level || !basis) return;
    var input = basis.querySelector("input, textarea");
    var keep = (input && input.value) || basis.querySelector("[role=alert]");
    basis.hidden = level.value !== "major" && !keep;
  }

  function choose(unit) {
    form.anjianUnit = unit;
    unitInput.value = unit.id;
    search.value = unit.name;
    search.classList.remove("is-invalid");
    illegal = unit.is_illegal;
    leadName = unit.lead_department_name;
    chosen.textContent = "已选：" + unit.name + (illegal ? "（非法场所：隐患只能关闭取缔）" : "");
    results.replaceChildren();
    applyUnit();
  }

  function render(units) {
    results.replaceChildren();
    if (!units.length) {
      var none = document.createElement("div");
      none.className = "list-group-item small text-muted";
      none.textContent = "没有找到您可检查的单位";
      results.append(none);
      return;
    }
    units.forEach(function (unit) {
      var item = document.createElement("button");
      item.type = "button";
      item.className = "list-group-item list-group-item-action";
      item.setAttribute("role", "option");
      item.dataset.unitId = unit.id;
      var name = document.createElement("div");
      name.className = "fw-bold";
      name.textContent = unit.name + (unit.is_illegal ? "（非法场所）" : "");
      var meta = document.createElement("div");
      meta.className = "small text-muted text-break";
      meta.textContent = [unit.credit_code, unit.category, unit.address].filter(Boolean).join(" · ");
      item.append(name, meta);
      item.addEventListener("click", function () { choose(unit); });
      results.append(item);
    });
  }

  function query() {
    var q = search.value.trim();
    var mine = ++latest;
    if (!q) { results.replaceChildren(); return; }
    fetch(form.dataset.unitSearchUrl + "?q=" + encodeURIComponent(q), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (mine === latest) render(data.results); })
      .catch(function () { searchKept(q, mine); });
  }

  // Without a network: the units of the user's scope as the service worker kept them when the
  // form was last opened online (views/offline.py), searched here as the server would.
  function searchKept(q, mine) {
    fetch(form.dataset.offlineUnitsUrl, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) {
        var upper = q.toUpperCase();
        var found = data.results.filter(function (unit) {
          return unit.name.indexOf(q) >= 0 || (unit.credit_code || "").indexOf(upper) >= 0 ||
            (unit.address || "").indexOf(q) >= 0;
        });
        if (mine === latest) render(found.slice(0, 20));
      })
      .catch(function () { if (mine === latest) render([]); });
  }

  search.addEventListener("input", function () {
    unitInput.value = "";
    chosen.textContent = "请从搜索结果中点选单位";
    clearTimeout(timer);
    timer = setTimeout(query, 250);
  });

  function renumber() {
    rows.querySelectorAll(".hazard-index").forEach(function (el, i) { el.textContent = i + 1; });
  }

  document.getElementById("add-hazard").addEventListener("click", function () {
    var index = Number(total.value);
    rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, index));
    total.value = index + 1;
    if (noHazards) noHazards.checked = false;
    renumber();
    applyUnit();
    var row = rows.lastElementChild;
    row.scrollIntoView({ block: "start" });
    var first = row.querySelector("textarea");
    if (first) first.focus();
  });

  rows.addEventListener("change", function (event) {
    if (event.target.matches("select[name$='-level']")) applyLevel(event.target.closest(".hazard-row"));
  });

  // A removed new row leaves a gap in the numbering; Django skips forms that arrive empty.
  rows.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-row]");
    if (!button) return;
    button.closest(".hazard-row").remove();
    renumber();
  });

  applyUnit();
  // offline_form.js puts a record kept on the phone back into this form.
  form.anjianChoose = choose;

  // A refused save lists every error at once; bring the first one to a phone's screen.
  var firstError = form.querySelector("[data-field] [role=alert]");
  if (firstError) {
    var wrapper = firstError.closest("[data-field]");
    wrapper.scrollIntoView({ block: "center" });
    var field = wrapper.querySelector("textarea, select, input:not([type=hidden]):not([type=file])");
    if (field) field.focus({ preventScroll: true });
  }
})();
