// The new-inspection form without a network: 保存到本机 / 联网后提交 keep the record, its hazards
// and photos on the phone (offline_store.js) instead of posting; the list above the form shows
// each kept record with its state and, when the server refused it, the reasons; 继续编辑 puts it
// back into the form with the reasons next to the fields. Photos are made small here (long side
// 1600 px, JPEG) before they are stored: the phone's quota is the limit, not the server's.
// Online the form posts as before, unless 存到本机 is pressed or a kept record is being edited.
(function () {
  "use strict";
  var form = document.getElementById("inspection-form");
  var store = window.AnjianOffline;
  if (!form || !form.hasAttribute("data-offline-capture") || !store || !store.owner) return;

  var MAX_SIDE = 1600;
  var THUMB_SIDE = 160;
  var QUOTA_WARNING = 0.8;
  var STATES = {
    pending: ["未同步", "text-bg-warning"],
    syncing: ["正在同步", "text-bg-info"],
    synced: ["已同步", "text-bg-success"],
    refused: ["被退回", "text-bg-danger"],
  };
  var INSPECTION_FIELDS = ["date", "kind", "campaign", "checked_items", "summary"];
  var SKIPPED = ["id", "inspection", "DELETE", "photos"];
  var panel = document.querySelector("[data-offline-panel]");
  var listEl = document.querySelector("[data-offline-list]");
  var storageEl = document.querySelector("[data-offline-storage]");
  var quotaEl = document.querySelector("[data-offline-quota]");
  var savedEl = document.querySelector("[data-offline-saved]");
  var banner = document.querySelector("[data-offline-banner]");
  var rows = document.getElementById("hazard-rows");
  var editing = null;
  var savedUuid = "";

  // Online, fetch the unit list once so the service worker keeps it for the next offline visit;
  // only through a worker that controls the page (none yet on the very first visit: it claims
  // the page once installed). The body is read: an unread one keeps the request open.
  function keep(url) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.arrayBuffer(); })
      .catch(function () {});
  }
  // The inspector's open hazards (the ledger, scoped to the department) are kept too, fetched
  // only when no copy is kept yet: the ledger is the costliest page to ask for.
  function keepUnits() {
    if (!navigator.onLine) return;
    keep(form.dataset.offlineUnitsUrl);
    var ledger = form.dataset.offlineHazardsUrl;
    if (ledger && window.caches) {
      caches.match(ledger).then(function (hit) { if (!hit) keep(ledger); }).catch(function () {});
    }
  }
  if ("serviceWorker" in navigator) {
    if (navigator.serviceWorker.controller) keepUnits();
    else navigator.serviceWorker.addEventListener("controllerchange", keepUnits, { once: true });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0) + " MB";
  }

  // --- network state -----------------------------------------------------------------------

  function applyNetwork() {
    var offline = !navigator.onLine;
    banner.hidden = !offline;
    form.querySelectorAll("[data-offline-label]").forEach(function (button) {
      button.textContent = offline || editing ? button.dataset.offlineLabel : button.dataset.onlineLabel;
    });
    var keep = form.querySelector("[data-keep-local]");
    if (keep) keep.hidden = offline || !!editing;
  }
  window.addEventListener("online", applyNetwork);
  window.addEventListener("offline", applyNetwork);

  // --- the list of kept records -----------------------------------------------------------

  function photoCount(record) {
    return record.hazards.reduce(function (n, h) { return n + h.photos.length; }, 0);
  }

  function item(record) {
    var li = el("li", "list-group-item");
    li.dataset.testid = "offline-record";
    li.dataset.uuid = record.uuid;
    li.dataset.state = record.state;
    var head = el("div", "d-flex justify-content-between align-items-start gap-2");
    var title = el("div", "fw-bold text-break", (record.unitName || "（未选单位）") + " · " + (record.inspection.date || ""));
    var state = STATES[record.state] || STATES.pending;
    var badge = el("span", "badge flex-shrink-0 " + state[1], state[0]);
    badge.dataset.testid = "offline-state";
    head.append(title, badge);
    li.append(head);
    var meta = "隐患 " + record.hazards.length + " 条 · 照片 " + photoCount(record) + " 张 · " +
      (record.state === "synced"
        ? (record.serverState === "submitted" ? "已提交" : "已存为服务器草稿")
        : (record.submit ? "联网后提交" : "草稿"));
    li.append(el("div", "small text-muted", meta));
    if (record.state === "refused" && record.reasons && record.reasons.length) {
      var reasons = el("ul", "small text-danger mb-1 ps-3");
      reasons.dataset.testid = "offline-reasons";
      record.reasons.forEach(function (reason) { reasons.append(el("li", "", reason)); });
      li.append(reasons);
    }
    if (record.note && record.state === "pending") li.append(el("div", "small text-muted", record.note));
    var actions = el("div", "d-flex flex-wrap gap-2 mt-1");
    if (record.state !== "synced") {
      var edit = el("a", "btn btn-sm btn-outline-secondary", "继续编辑");
      edit.href = "#local=" + record.uuid;
      edit.dataset.offlineEdit = record.uuid;
      actions.append(edit);
    }
    if (record.url && navigator.onLine) {
      var view = el("a", "btn btn-sm btn-outline-primary", record.serverState === "submitted" ? "查看" : "在线编辑草稿");
      view.href = record.url;
      actions.append(view);
    }
    var drop = el("button", "btn btn-sm btn-outline-danger", record.state === "synced" ? "从本机移除" : "删除");
    drop.type = "button";
    drop.dataset.offlineRemove = record.uuid;
    actions.append(drop);
    li.append(actions);
    return li;
  }

  function renderList() {
    return store.list().then(function (records) {
      panel.hidden = records.length === 0;
      var saved = records.filter(function (r) { return r.uuid === savedUuid; })[0];
      if (saved && saved.state !== "pending") savedEl.hidden = true;  // its sync has answered
      listEl.replaceChildren.apply(listEl, records.map(item));
      return renderStorage();
    });
  }

  function renderStorage() {
    return Promise.all([store.storage(), navigator.storage && navigator.storage.persisted
      ? navigator.storage.persisted() : Promise.resolve(false)]).then(function (found) {
      var estimate = found[0];
      if (!estimate || !estimate.quota) {
        storageEl.textContent = "本机存储用量无法获知；请尽快联网同步。";
        return;
      }
      var share = estimate.usage / estimate.quota;
      storageEl.textContent = "本机已存 " + megabytes(estimate.usage) + "，浏览器允许约 " +
        megabytes(estimate.quota) + "（已用 " + Math.round(share * 100) + "%）" +
        (found[1] ? "；已设为持久保存。" : "；空间紧张时浏览器可能清除本机数据，请尽快同步。");
      quotaEl.hidden = share < QUOTA_WARNING;
      quotaEl.textContent = "本机存储已用 " + Math.round(share * 100) + "%，即将达到浏览器的上限：" +
        "请尽快联网同步，并移除已同步的记录；存满后新的记录和照片将无法保存。";
    });
  }

  listEl.addEventListener("click", function (event) {
    var edit = event.target.closest("[data-offline-edit]");
    if (edit) {
      event.preventDefault();
      location.hash = "local=" + edit.dataset.offlineEdit;
      location.reload();
      return;
    }
    var drop = event.target.closest("[data-offline-remove]");
    if (!drop) return;
    var li = drop.closest("[data-uuid]");
    var synced = li.dataset.state === "synced";
    if (!synced && !window.confirm("这条记录尚未同步到服务器，删除后无法恢复。确定删除？")) return;
    store.remove(drop.dataset.offlineRemove);
  });
  document.addEventListener("anjian:offline-changed", renderList);

  // --- photos -------------------------------------------------------------------------------

  function decode(file) {
    // createImageBitmap reads the file directly (the CSP allows no blob: images); older Safari
    // goes through a data: URL instead.
    if (window.createImageBitmap) {
      return createImageBitmap(file).catch(function () { return decodeViaImage(file); });
    }
    return decodeViaImage(file);
  }

  function decodeViaImage(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () {
        var image = new Image();
        image.onload = function () { resolve(image); };
        image.onerror = reject;
        image.src = reader.result;
      };
      reader.onerror = reject;
      reader.readAsDataURL(file);
    });
  }

  function draw(image, side) {
    var scale = Math.min(1, side / Math.max(image.width, image.height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(image.width * scale));
    canvas.height = Math.max(1, Math.round(image.height * scale));
    canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  function shrink(file) {
    return decode(file).then(function (image) {
      var big = draw(image, MAX_SIDE);
      var thumb = draw(image, THUMB_SIDE).toDataURL("image/jpeg", 0.7);
      return new Promise(function (resolve, reject) {
        big.toBlob(function (blob) {
          if (blob) resolve({ uuid: store.newUuid(), blob: blob, thumb: thumb });
          else reject(new Error("toBlob"));
        }, "image/jpeg", 0.85);
      });
    }).catch(function () {
      throw new Error("照片“" + file.name + "”无法读取，请换一张或重新拍摄");
    });
  }

  function showPhotos(row) {
    var box = row.querySelector("[data-local-photos]");
    if (!box) {
      box = el("div", "d-flex flex-wrap gap-1 mb-2");
      box.dataset.localPhotos = "";
      box.dataset.testid = "local-photos";
      var field = row.querySelector("[data-field='photos']");
      field.after(box);
    }
    box.replaceChildren();
    (row.localPhotos || []).forEach(function (photo, index) {
      var wrap = el("span", "position-relative d-inline-block");
      var img = el("img", "img-thumbnail");
      img.src = photo.thumb;
      img.alt = "本机保存的照片";
      img.width = img.height = 72;
      img.dataset.testid = "local-photo";
      var remove = el("button", "btn btn-sm btn-light position-absolute top-0 end-0 py-0 px-1", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", "移除这张照片");
      remove.addEventListener("click", function () {
        row.localPhotos.splice(index, 1);
        showPhotos(row);
      });
      wrap.append(img, remove);
      box.append(wrap);
    });
    if (row.localPhotos && row.localPhotos.length) {
      box.append(el("span", "form-text w-100", "本机已存 " + row.localPhotos.length + " 张；新选的照片会追加。"));
    }
  }

  // --- form ↔ record ------------------------------------------------------------------------

  function field(name) { return form.elements.namedItem(name); }

  function currentUnit() {
    var id = field("unit").value;
    if (!id) return null;
    var search = document.getElementById("unit-search");
    if (form.anjianUnit && String(form.anjianUnit.id) === id) return form.anjianUnit;
    return {
      id: Number(id),
      name: search.value,
      is_illegal: search.dataset.illegal === "1",
      lead_department_name: search.dataset.leadDepartmentName || "",
    };
  }

  function rowFields(row) {
    var fields = {};
    row.querySelectorAll("input, select, textarea").forEach(function (input) {
      var match = /^hazards-\d+-(.+)$/.exec(input.name || "");
      if (!match || SKIPPED.indexOf(match[1]) >= 0) return;
      fields[match[1]] = input.type === "checkbox" ? input.checked : input.value;
    });
    return fields;
  }

  function blank(fields, row) {
    var filled = Object.keys(fields).some(function (k) { return fields[k] && k !== "lead_department"; });
    var files = row.querySelector("input[type=file]");
    return !filled && !(row.localPhotos || []).length && !(files && files.files.length);
  }

  function capture(submit) {
    var unit = currentUnit();
    var inspection = { unit: unit ? unit.id : "", no_hazards: !!(field("no_hazards") && field("no_hazards").checked) };
    INSPECTION_FIELDS.forEach(function (name) { if (field(name)) inspection[name] = field(name).value; });
    inspection.inspectors = Array.prototype.map.call(
      form.querySelectorAll("input[name='inspectors']:checked"), function (box) { return box.value; });
    var work = Array.prototype.map.call(rows.querySelectorAll(".hazard-row"), function (row) {
      var fields = rowFields(row);
      if (blank(fields, row)) return Promise.resolve(null);
      var files = Array.prototype.slice.call((row.querySelector("input[type=file]") || {}).files || []);
      return Promise.all(files.map(shrink)).then(function (fresh) {
        return {
          uuid: row.dataset.uuid || store.newUuid(),
          fields: fields,
          photos: (row.localPhotos || []).concat(fresh),
        };
      });
    });
    return Promise.all(work).then(function (hazards) {
      var previous = editing || {};
      return {
        uuid: previous.uuid || store.newUuid(),
        state: "pending",
        submit: submit,
        unit: unit,
        unitName: unit ? unit.name : "",
        inspection: inspection,
        hazards: hazards.filter(Boolean),
        url: previous.url || "",
        serverState: previous.serverState || "",
        errors: null,
        reasons: [],
        note: "",
        savedAt: new Date().toISOString(),
      };
    });
  }

  function showError(wrapper, messages) {
    if (!wrapper) return;
    messages.forEach(function (message) {
      var div = el("div", "invalid-feedback d-block", message);
      div.setAttribute("role", "alert");
      wrapper.append(div);
    });
    var input = wrapper.querySelector("input:not([type=hidden]), select, textarea");
    if (input) input.classList.add("is-invalid");
  }

  function fill(record) {
    editing = record;
    var note = document.querySelector("[data-offline-editing]");
    if (note) note.hidden = false;
    if (record.unit && form.anjianChoose) form.anjianChoose(record.unit);
    INSPECTION_FIELDS.forEach(function (name) {
      if (field(name) && record.inspection[name] !== undefined) field(name).value = record.inspection[name];
    });
    if (field("no_hazards")) field("no_hazards").checked = !!record.inspection.no_hazards;
    form.querySelectorAll("input[name='inspectors']").forEach(function (box) {
      box.checked = (record.inspection.inspectors || []).indexOf(box.value) >= 0;
    });
    var add = document.getElementById("add-hazard");
    record.hazards.forEach(function (hazard) {
      add.click();
      var row = rows.lastElementChild;
      row.dataset.uuid = hazard.uuid;
      row.querySelectorAll("input, select, textarea").forEach(function (input) {
        var match = /^hazards-\d+-(.+)$/.exec(input.name || "");
        if (!match || !(match[1] in hazard.fields)) return;
        if (input.type === "checkbox") input.checked = !!hazard.fields[match[1]];
        else input.value = hazard.fields[match[1]];
      });
      row.localPhotos = hazard.photos.slice();
      showPhotos(row);
      var level = row.querySelector("select[name$='-level']");
      if (level) level.dispatchEvent(new Event("change", { bubbles: true }));
    });
    window.scrollTo(0, 0);
    var errors = record.errors;
    if (!errors) return;
    Object.keys(errors.inspection || {}).forEach(function (name) {
      if (name === "non_field") return;
      showError(form.querySelector("[data-field='" + name + "']"), errors.inspection[name]);
    });
    if (errors.inspection && errors.inspection.unit) {
      document.getElementById("unit-search").classList.add("is-invalid");
    }
    Object.keys(errors.hazards || {}).forEach(function (uuid) {
      var row = rows.querySelector(".hazard-row[data-uuid='" + uuid + "']");
      if (!row) return;
      Object.keys(errors.hazards[uuid]).forEach(function (name) {
        var wrapper = name === "non_field" ? row.querySelector(".card-body") : row.querySelector("[data-field='" + name + "']");
        showError(wrapper, errors.hazards[uuid][name]);
      });
    });
  }

  function flash(text) {
    savedEl.textContent = text;
    savedEl.hidden = false;
  }

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter || document.activeElement;
    var keep = submitter && submitter.hasAttribute && submitter.hasAttribute("data-keep-local");
    if (navigator.onLine && !keep && !editing) return;
    event.preventDefault();
    var buttons = form.querySelectorAll("button[type=submit]");
    buttons.forEach(function (b) { b.disabled = true; });
    var submit = !!(submitter && submitter.name === "submit");
    capture(submit)
      .then(function (record) {
        return store.put(record).then(function () { return record; });
      })
      .then(function (record) {
        store.persist().catch(function () {});
        location.hash = "saved=" + record.uuid;
        location.reload();
      })
      .catch(function (error) {
        buttons.forEach(function (b) { b.disabled = false; });
        quotaEl.hidden = false;
        quotaEl.textContent = error && error.name === "QuotaExceededError"
          ? "本机存储已满，这条记录未能保存（表单中的内容仍在）：请联网同步或移除已同步的记录后再试。"
          : (error && error.message && error.message.indexOf("照片") === 0
            ? error.message
            : "未能保存到本机（表单中的内容仍在）：" + (error && error.message ? error.message : "未知错误"));
        quotaEl.scrollIntoView({ block: "center" });
      });
  });

  // --- start --------------------------------------------------------------------------------

  var hash = location.hash.replace(/^#/, "");
  var start = Promise.resolve();
  if (hash.indexOf("saved=") === 0) {
    savedUuid = hash.slice(6);
    history.replaceState(null, "", location.pathname + location.search + "#offline-records");
    flash(navigator.onLine
      ? "已保存在本机，正在同步到服务器。"
      : "已保存在本机（未同步）。联网后自动同步；也可点“立即同步”。");
  } else if (hash.indexOf("local=") === 0) {
    start = store.get(hash.slice(6)).then(function (record) {
      if (record && record.state !== "synced") fill(record);
    });
  }
  start.catch(function () {}).then(function () {
    applyNetwork();
    return renderList();
  }).catch(function () {
    storageEl.textContent = "此浏览器不能在本机保存记录（可能处于无痕模式）：请联网填写。";
    panel.hidden = false;
  });
})();
