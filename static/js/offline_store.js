// Inspections captured without a network, kept on the phone (IndexedDB "anjian-offline") until the
// server has them: the record, its hazards and their photos (JPEG blobs, already made small by
// offline_form.js). IndexedDB outlives closing the browser and a reboot; the service worker's
// caches only hold pages. Every page loads this file: it shows "未同步 N 条" in the navigation and
// sends what is waiting when the page loads, when the network comes back and on a 立即同步 button
// (iOS Safari has no Background Sync, so nothing relies on it).
//
// A record's state: pending 未同步 → syncing 正在同步 → synced 已同步, or refused 被退回 with the
// server's reasons (kept, editable; it goes again once edited and saved). Nothing is removed
// except by the inspector, or its photos once the server holds them. Records belong to the user
// who captured them: another user signed in on the same phone neither sees nor sends them.
(function () {
  "use strict";
  var DB_NAME = "anjian-offline";
  var STORE = "records";
  var SYNC_URL = "/inspections/sync/";
  var owner = document.body ? document.body.dataset.user || "" : "";
  var syncing = false;
  var waitingCount = 0;
  var dbPromise = null;

  function open() {
    if (!("indexedDB" in window)) return Promise.reject(new Error("no IndexedDB"));
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var store = request.result.createObjectStore(STORE, { keyPath: "uuid" });
          store.createIndex("owner", "owner");
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result;
        work(tx.objectStore(STORE), function (value) { result = value; });
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function list() {
    return run("readonly", function (store, done) {
      var request = store.index("owner").getAll(owner);
      request.onsuccess = function () {
        done(request.result.sort(function (a, b) { return b.savedAt.localeCompare(a.savedAt); }));
      };
    });
  }

  function get(uuid) {
    return run("readonly", function (store, done) {
      var request = store.get(uuid);
      request.onsuccess = function () {
        var record = request.result;
        done(record && record.owner === owner ? record : null);
      };
    });
  }

  function put(record) {
    record.owner = owner;
    return run("readwrite", function (store) { store.put(record); }).then(changed);
  }

  function remove(uuid) {
    return run("readwrite", function (store) { store.delete(uuid); }).then(changed);
  }

  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // crypto.randomUUID needs iOS 15.4; older Safari still has getRandomValues.
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function waiting(record) { return record.state !== "synced"; }

  function changed() {
    document.dispatchEvent(new CustomEvent("anjian:offline-changed"));
    return list().then(function (records) {
      var count = records.filter(waiting).length;
      waitingCount = count;
      document.querySelectorAll("[data-offline-count]").forEach(function (el) {
        el.hidden = count === 0;
        var number = el.querySelector("[data-offline-number]");
        if (number) number.textContent = count;
      });
      return records;
    });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    // The page's own token, when the cookie is not readable.
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  // What the server needs of a record: its fields, the UUIDs, the photos as files.
  function payload(record) {
    var data = new FormData();
    var body = {
      uuid: record.uuid,
      submit: !!record.submit,
      inspection: record.inspection,
      hazards: record.hazards.map(function (hazard) {
        return {
          uuid: hazard.uuid,
          fields: hazard.fields,
          photos: hazard.photos.map(function (p) { return p.uuid; }),
        };
      }),
    };
    data.append("record", JSON.stringify(body));
    record.hazards.forEach(function (hazard) {
      hazard.photos.forEach(function (photo) {
        if (photo.blob) data.append("photo-" + photo.uuid, photo.blob, photo.uuid + ".jpg");
      });
    });
    return data;
  }

  function settle(record, response, body) {
    record.syncedAt = new Date().toISOString();
    record.note = "";
    if (response.status === 200 && body.status === "submitted") {
      record.state = "synced";
      record.serverState = "submitted";
    } else if (response.status === 200 && body.status === "draft" && !body.errors) {
      record.state = "synced";
      record.serverState = "draft";
    } else if (response.status === 200 && body.status === "draft") {
      // Saved as a draft on the server; submission refused until what is missing is filled in.
      record.state = "refused";
      record.serverState = "draft";
      record.errors = body.errors;
      record.reasons = ["未提交，已在服务器保存为草稿："].concat(body.errors.reasons);
    } else {
      record.state = "refused";
      record.errors = body.errors || { inspection: {}, hazards: {}, reasons: [] };
      record.reasons = body.message ? [body.message] : record.errors.reasons;
    }
    record.url = body.url || record.url || "";
    if (record.state === "synced") {
      // The server holds them now: free the phone's quota, keep the small previews.
      record.hazards.forEach(function (hazard) {
        hazard.photos.forEach(function (photo) { photo.blob = null; });
      });
      record.errors = null;
      record.reasons = [];
    }
    return record;
  }

  function syncOne(record) {
    record.state = "syncing";
    return put(record).then(function () {
      return fetch(SYNC_URL, {
        method: "POST",
        body: payload(record),
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!json || response.redirected || response.status === 403 || response.status >= 500) {
        // Signed out, a stale page or a server fault: not the record's fault, so it waits.
        record.state = "pending";
        record.note = response.status >= 500
          ? "服务器暂时出错，稍后自动重试"
          : "请先登录（或刷新页面），登录后自动同步";
        return put(record);
      }
      return response.json().then(function (body) { return put(settle(record, response, body)); });
    }, function () {
      record.state = "pending";
      record.note = "网络不通，联网后自动同步";
      return put(record);
    });
  }

  // By itself only what waits; asked (the button), also what was refused, e.g. a unit that has
  // come back into the inspector's scope.
  function sync(retryRefused) {
    if (syncing || !owner || !navigator.onLine) return Promise.resolve();
    syncing = true;
    return list().then(function (records) {
      var due = records.filter(function (r) {
        return r.state === "pending" || r.state === "syncing" || (retryRefused === true && r.state === "refused");
      });
      return due.reduce(function (chain, record) {
        return chain.then(function () { return syncOne(record); });
      }, Promise.resolve());
    }).catch(function () {}).then(function () {
      syncing = false;
      return changed();
    });
  }

  function storage() {
    if (!navigator.storage || !navigator.storage.estimate) return Promise.resolve(null);
    return navigator.storage.estimate();
  }

  function persist() {
    if (!navigator.storage || !navigator.storage.persist) return Promise.resolve(false);
    return navigator.storage.persisted().then(function (already) {
      return already || navigator.storage.persist();
    });
  }

  window.AnjianOffline = {
    list: list, get: get, put: put, remove: remove, sync: sync, newUuid: newUuid,
    storage: storage, persist: persist, owner: owner, changed: changed,
  };

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-offline-sync]")) sync(true);
  });
  window.addEventListener("online", function () { sync(); });
  // Signing out keeps the records (they are this user's, sent at the next sign-in), but say so
  // before, while they could still be sent. Capture phase: before anjian.js empties the pages.
  document.addEventListener("submit", function (event) {
    if (!event.target.hasAttribute("data-signout") || waitingCount === 0) return;
    var message = "本机还有 " + waitingCount + " 条检查记录未同步到服务器。退出后它们仍保存在本机，" +
      "用同一账号再次登录后自动同步。确定退出？";
    if (!window.confirm(message)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
  if (owner && "indexedDB" in window) {
    changed().then(sync).catch(function () {});
  }
})();
