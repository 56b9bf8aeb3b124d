{% load static %}// The scanner pages' service worker (served at /scanner/sw.js: its scope is /scanner/).
// It lets a phone that opened a scanner page once online open it again offline: pages and
// their scripts and styles are fetched from the network first, and kept; when the network
// fails (or a server error answers) the kept copy is served. Nothing else is touched: the
// check-in API goes straight to the network, so the page itself sees when it is down.
"use strict";

var CACHE = "{{ cache_name|escapejs }}";
var LISTS = "{{ lists_url|escapejs }}";
var STATIC = "{% get_static_prefix %}";
var ASSETS = [
  "{% static 'storefront/site.css' %}",
  "{% static 'storefront/site.js' %}",
  "{% static 'storefront/vendor/jsQR.js' %}",
  "{% static 'storefront/scanner-offline.js' %}",
  "{% static 'storefront/scanner.js' %}",
];
var NETWORK_WAIT_MS = 6000; // a door's weak signal: serve the kept page rather than hang

self.addEventListener("install", function (event) {
  // One missing asset must not keep the worker from installing.
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all(ASSETS.map(function (url) {
        return keep(cache, url).catch(function () {});
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("designmall-scanner-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

// A page asks to keep itself (the page that registered the worker was fetched before the
// worker existed) and the list of lists; it is told when they are kept.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls)) return;
  var port = event.ports && event.ports[0];
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      // Offline, a page already kept counts as kept.
      return Promise.all(data.urls.filter(ours).map(function (url) {
        return keep(cache, url).catch(function (error) {
          return cache.match(url, { ignoreVary: true }).then(function (hit) { if (!hit) throw error; });
        });
      }));
    }).then(
      function () { if (port) port.postMessage({ kept: true }); },
      function () { if (port) port.postMessage({ kept: false }); }
    )
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var page = request.mode === "navigate" && url.pathname.indexOf(LISTS) === 0;
  if (!page && url.pathname.indexOf(STATIC) !== 0) return;
  event.respondWith(networkFirst(request));
});

function ours(url) {
  var parsed = new URL(url, self.location.origin);
  return parsed.origin === self.location.origin &&
    (parsed.pathname.indexOf(LISTS) === 0 || parsed.pathname.indexOf(STATIC) === 0);
}

// Kept only when it is the page asked for: not a redirect to the login page, not an error.
function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

function keep(cache, url) {
  return fetch(url, { credentials: "same-origin", cache: "no-cache" }).then(function (response) {
    if (!keepable(response)) throw new Error("not kept: " + url);
    return cache.put(url, response);
  });
}

function networkFirst(request) {
  var key = request.url.split("#")[0];
  return caches.open(CACHE).then(function (cache) {
    function kept() { return cache.match(key, { ignoreVary: true }); }
    return new Promise(function (resolve) {
      var settled = false;
      function answer(response) {
        if (settled) return;
        settled = true;
        resolve(response);
      }
      var timer = setTimeout(function () {
        kept().then(function (hit) { if (hit) answer(hit); });
      }, NETWORK_WAIT_MS);
      fetch(request).then(function (response) {
        clearTimeout(timer);
        if (keepable(response)) {
          cache.put(key, response.clone());
          answer(response);
        } else if (response.status >= 500) {
          kept().then(function (hit) { answer(hit || response); });
        } else {
          answer(response);
        }
      }, function () {
        clearTimeout(timer);
        kept().then(function (hit) { answer(hit || Response.error()); });
      });
    });
  });
}
