// 安检 service worker (served from /sw.js by anjian/pwa.py; scope: the whole site).
// Static files: cache first (their names change with each deploy). The pages listed in
// CONFIG.pages: network first, the last copy kept for use without a network (and so the JSON
// of CONFIG.data, the units the form searches offline). Anything else
// goes to the network (a page shows the offline notice when there is none), and every non-GET
// request goes to the network untouched. Signing out empties the page cache.
"use strict";
const CONFIG = {{ config|safe }};
const STATIC = "anjian-static-" + CONFIG.version;
const PAGES = "anjian-pages";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC).then((cache) => cache.addAll([...CONFIG.assets, CONFIG.offline]))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((names) => Promise.all(
      names.filter((n) => n.startsWith("anjian-static-") && n !== STATIC).map((n) => caches.delete(n))
    )).then(() => self.clients.claim())
  );
});

function keptPage(url) {
  return CONFIG.pages.some((p) => (p === "/" ? url.pathname === "/" : url.pathname.startsWith(p)));
}

self.addEventListener("message", (event) => {
  if (event.data === "signed-out") {
    event.waitUntil(caches.delete(PAGES));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (CONFIG.assets.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (!keptPage(url)) {
    if (request.mode === "navigate") {
      // Not kept, but a page the user asked for: say there is no network, not a browser error.
      event.respondWith(fetch(request).catch(() => caches.match(CONFIG.offline)));
    }
    return;
  }
  event.respondWith(
    fetch(request).then((response) => {
      // Only a real page of a signed-in user is kept: no redirect to the login page, no download.
      const type = response.headers.get("Content-Type") || "";
      const data = CONFIG.data.includes(url.pathname) && type.startsWith("application/json");
      if (response.ok && !response.redirected && (type.startsWith("text/html") || data)) {
        const copy = response.clone();
        caches.open(PAGES).then((cache) => cache.put(request, copy));
      }
      return response;
    }).catch(() => caches.open(PAGES)
      .then((cache) => cache.match(request))
      .then((hit) => hit || (request.mode === "navigate" ? caches.match(CONFIG.offline) : Response.error())))
  );
});
