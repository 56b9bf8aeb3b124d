// The scanner page as an offline scanner device (docs/CHECKIN.md, "The scanner page
// offline"): keep the list's bundle in the browser, decide a scan by the bundle's rules
// when the network is down, queue the scan and upload it when the network is back.
//
// window.ScannerDoor(options) is one list's door on this phone. Stored in IndexedDB
// ("designmall-scanner"): "bundles" (one per list: sessions, keys, revocations, the
// tickets and whether each had entered when the bundle was read) and "scans" (this
// phone's scans: offline ones waiting to upload, and those it let through since its last
// bundle, which tell it who is inside). The rules are events/checkin.py's, in its order:
// the QR text's shape, its key among the bundle's keys, the Ed25519 signature (WebCrypto;
// without it a QR code is refused, never accepted unverified), revocation, the session on
// this list, the validity window give or take the bundle's leeway by this phone's clock,
// and then the ticket's history: the bundle's "entered / inside" followed by what this
// phone did since.
(function () {
  "use strict";

  var DB_NAME = "designmall-scanner";
  var DIFFERENCES_KEY = "designmall-scanner-differences";
  var ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, as core.ids
  var PAYLOAD_CHARS = 130;
  var PAYLOAD_BYTES = 97;
  var HEADER_BYTES = 33;
  var CODE_MAX = 200; // longer codes are refused without queueing (the API takes 200)
  var UPLOAD_MAX = 500;
  var FULL_EVERY_MS = 10 * 60 * 1000; // the whole bundle (tickets too)
  var SINCE_EVERY_MS = 60 * 1000; // revocations in between
  var SINCE_OVERLAP_MS = 60 * 1000; // a revocation may commit after a later one
  var DIFFERENCES_MAX = 50;

  // --- storage -------------------------------------------------------------------------

  function openStorage() {
    return new Promise(function (resolve) {
      var request;
      try {
        request = window.indexedDB && indexedDB.open(DB_NAME, 1);
      } catch (error) {
        request = null;
      }
      if (!request) return resolve(memoryStorage());
      request.onupgradeneeded = function () {
        request.result.createObjectStore("bundles", { keyPath: "list" });
        request.result.createObjectStore("scans", { keyPath: "scan_id" });
      };
      request.onsuccess = function () { resolve(indexedStorage(request.result)); };
      request.onerror = function () { resolve(memoryStorage()); };
    });
  }

  function indexedStorage(db) {
    function run(name, mode, work) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var request = work(tx.objectStore(name));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    }
    return {
      persistent: true,
      get: function (name, key) {
        return run(name, "readonly", function (store) { return store.get(key); });
      },
      all: function (name) {
        return run(name, "readonly", function (store) { return store.getAll(); });
      },
      write: function (name, puts, deletes) {
        return run(name, "readwrite", function (store) {
          (puts || []).forEach(function (value) { store.put(value); });
          (deletes || []).forEach(function (key) { store.delete(key); });
        });
      },
    };
  }

  function memoryStorage() { // no IndexedDB (a private window): nothing survives a reload
    var stores = { bundles: {}, scans: {} };
    var keys = { bundles: "list", scans: "scan_id" };
    return {
      persistent: false,
      get: function (name, key) { return Promise.resolve(stores[name][key]); },
      all: function (name) {
        return Promise.resolve(Object.keys(stores[name]).map(function (k) { return stores[name][k]; }));
      },
      write: function (name, puts, deletes) {
        (puts || []).forEach(function (value) { stores[name][value[keys[name]]] = value; });
        (deletes || []).forEach(function (key) { delete stores[name][key]; });
        return Promise.resolve();
      },
    };
  }

  // --- the QR text ------------------------------------------------------------------------

  function fromBase64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var binary = atob(b64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function toBase64url(bytes) {
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function fromHex(text) {
    return new Uint8Array(text.match(/../g).map(function (pair) { return parseInt(pair, 16); }));
  }

  // 80 bits as the 16 base32 symbols of a public id.
  function idText(bytes, prefix) {
    var bits = "";
    for (var i = 0; i < bytes.length; i++) bits += (bytes[i] + 256).toString(2).slice(1);
    var body = "";
    for (var j = 0; j < 80; j += 5) body += ALPHABET[parseInt(bits.slice(j, j + 5), 2)];
    return prefix + "_" + body;
  }

  // The claims of a QR text (ticketsign.decode), or null when it is not one of ours.
  function decodePayload(text) {
    if (text.length !== PAYLOAD_CHARS || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
    var raw;
    try {
      raw = fromBase64url(text);
    } catch (error) {
      return null;
    }
    // The last symbol carries 4 unused bits: only the canonical spelling is accepted.
    if (raw.length !== PAYLOAD_BYTES || toBase64url(raw) !== text || raw[0] !== 1) return null;
    var view = new DataView(raw.buffer);
    var from = view.getUint32(25);
    var until = view.getUint32(29);
    if (from > until) return null;
    return {
      kid: hex(raw.subarray(1, 5)),
      ticket: idText(raw.subarray(5, 15), "tk"),
      session: idText(raw.subarray(15, 25), "ses"),
      from: from,
      until: until,
      header: raw.slice(0, HEADER_BYTES),
      signature: raw.slice(HEADER_BYTES),
    };
  }

  // Whether WebCrypto verifies Ed25519 here (RFC 8032, test 1): not every browser does,
  // and none does outside a secure context (HTTPS, or localhost).
  var ed25519 = null;
  function ed25519Works() {
    if (ed25519) return ed25519;
    var subtle = window.crypto && window.crypto.subtle;
    if (!subtle) return (ed25519 = Promise.resolve(false));
    ed25519 = subtle
      .importKey("raw", fromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
        { name: "Ed25519" }, false, ["verify"])
      .then(function (key) {
        return subtle.verify({ name: "Ed25519" }, key, fromHex(
          "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        ), new Uint8Array(0));
      })
      .then(function (valid) { return valid === true; }, function () { return false; });
    return ed25519;
  }

  // --- time -----------------------------------------------------------------------------

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // The phone's clock with its offset: "2026-11-21T13:52:07+08:00".
  function isoLocal(ms) {
    var d = new Date(ms);
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      sign + pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }

  // --- a ticket's history, as events.checkin.replay -----------------------------------------

  function verdict(state, direction, allowReentry) {
    if (direction === "entry") {
      if (!state.entered || (!state.inside && allowReentry)) return { outcome: "accepted" };
      return { outcome: "already_checked_in", winner: state.lastEntry };
    }
    if (state.inside) return { outcome: "accepted" };
    return { outcome: "not_inside", winner: state.lastExit };
  }

  function step(state, scan, allowReentry) {
    if (verdict(state, scan.direction, allowReentry).outcome !== "accepted") return;
    if (scan.direction === "entry") {
      state.entered = true;
      state.inside = true;
      state.lastEntry = scan;
    } else {
      state.inside = false;
      state.lastExit = scan;
    }
  }

  // --- the door -------------------------------------------------------------------------

  function ScannerDoor(options) {
    this.list = options.list;
    this.staff = options.staff; // the staff member's public id: whose queue this page sends
    this.bundleUrl = options.bundleUrl;
    this.uploadUrl = options.uploadUrl; // with "{list}" for the list's id
    this.csrf = options.csrf;
    this.timeZone = options.timeZone;
    this.messages = options.messages;
    this.english = !!options.english;
    this.onchange = options.onchange || function () {};
    this.bundle = null;
    this.scans = [];
    this.keys = {};
    this.storage = null;
    this.refreshing = null;
    this.uploading = null;
    this.wantFull = true;
    this.lastSync = null; // {kind: "uploading"|"uploaded"|"waiting"|"failed", n, reason}
    this.noted = null;
  }

  ScannerDoor.prototype.load = function () {
    var door = this;
    return openStorage().then(function (storage) {
      door.storage = storage;
      if (storage.persistent && navigator.storage && navigator.storage.persist) {
        navigator.storage.persist().catch(function () {});
      }
      return Promise.all([storage.get("bundles", door.list), storage.all("scans")]);
    }).then(function (found) {
      door.bundle = found[0] || null;
      door.scans = found[1] || [];
      // Reading the page again soon after a full bundle: revocations are enough.
      door.wantFull = !door.bundle || Date.now() - door.bundle.fetched_at > SINCE_EVERY_MS;
      door.onchange();
    });
  };

  // --- what the page shows ------------------------------------------------------------------

  // This staff member's scans waiting to upload. A phone passed on to a colleague keeps
  // the first one's queue for their next login: uploads go with the session's user.
  ScannerDoor.prototype.queue = function () {
    var staff = this.staff;
    return this.scans.filter(function (scan) { return scan.pending && scan.staff === staff; });
  };

  ScannerDoor.prototype.pending = function () {
    return this.queue().length;
  };

  // "10:02" on the same day in the venue's time zone as ``ref``, else "11-21 10:02".
  ScannerDoor.prototype.when = function (ms, ref) {
    var zone = this.timeZone;
    function parts(at) {
      var out = {};
      try {
        new Intl.DateTimeFormat("en-GB", {
          timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
          hour: "2-digit", minute: "2-digit", hour12: false,
        }).formatToParts(new Date(at)).forEach(function (part) { out[part.type] = part.value; });
      } catch (error) {
        var d = new Date(at);
        out = { year: d.getFullYear(), month: pad(d.getMonth() + 1), day: pad(d.getDate()),
          hour: pad(d.getHours()), minute: pad(d.getMinutes()) };
      }
      return out;
    }
    var p = parts(ms);
    var time = p.hour + ":" + p.minute;
    if (ref === undefined) return p.month + "-" + p.day + " " + time;
    var r = parts(ref);
    return p.year === r.year && p.month === r.month && p.day === r.day ? time : p.month + "-" + p.day + " " + time;
  };

  ScannerDoor.prototype.bundleText = function () {
    var b = this.bundle;
    if (!b) return this.messages.bundle_none;
    return fill(this.messages.bundle_age, {
      time: this.when(b.fetched_at, Date.now()),
      n: b.ticket_count.toLocaleString(this.english ? "en" : "zh-CN"),
    });
  };

  // Minutes this phone's clock is off from the server's, when it is more than one.
  ScannerDoor.prototype.clockOffMinutes = function () {
    if (!this.bundle) return 0;
    var minutes = Math.round(Math.abs(this.bundle.clock_offset_ms) / 60000);
    return minutes >= 1 ? minutes : 0;
  };

  // Where the server decided otherwise than a door of this phone, newest first (kept in
  // localStorage: a reload must not hide them before the staff member has read them).
  ScannerDoor.prototype.differences = function () {
    if (this.noted === null) {
      try {
        this.noted = JSON.parse(localStorage.getItem(DIFFERENCES_KEY) || "[]");
      } catch (error) {
        this.noted = [];
      }
    }
    return this.noted;
  };

  ScannerDoor.prototype.saveDifferences = function (noted) {
    this.noted = noted;
    try {
      localStorage.setItem(DIFFERENCES_KEY, JSON.stringify(noted));
    } catch (error) { /* shown until the page is left */ }
    this.onchange();
  };

  ScannerDoor.prototype.clearDifferences = function () {
    this.saveDifferences([]);
  };

  ScannerDoor.prototype.addDifferences = function (found) {
    if (found.length) this.saveDifferences(found.concat(this.differences()).slice(0, DIFFERENCES_MAX));
  };

  // --- the bundle ---------------------------------------------------------------------------

  function getJson(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json", "Accept-Language": document.documentElement.lang },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
  }

  function revokedAt(bundle) {
    var map = {};
    bundle.revocations.forEach(function (r) { map[r.ticket_id] = r.revoked_at; });
    return map;
  }

  function info(body) {
    return {
      list: body.list,
      sessions: body.sessions,
      keys: body.keys,
      leeway: body.clock_leeway_seconds,
    };
  }

  // Download the bundle: the whole of it (with tickets) when it is old or asked for, else
  // what was revoked since the last answer (with a minute's overlap; repeats are harmless).
  ScannerDoor.prototype.refresh = function (force) {
    var door = this;
    if (door.refreshing) return door.refreshing;
    var now = Date.now();
    var b = door.bundle;
    var full = force || door.wantFull || !b || now - b.fetched_at > FULL_EVERY_MS;
    if (!full && now - b.checked_at < SINCE_EVERY_MS) return Promise.resolve(false);
    // What the server knows by the time it answers: scans uploaded or made online before.
    var known = door.scans.filter(function (scan) {
      return scan.list === door.list && !scan.pending;
    }).map(function (scan) { return scan.scan_id; });
    var url = door.bundleUrl + "?" + (full ? "tickets=true" : "since=" + encodeURIComponent(
      new Date(Date.parse(b.generated_at) - SINCE_OVERLAP_MS).toISOString()));
    door.refreshing = getJson(url).then(function (body) {
      var received = Date.now();
      var offset = Date.parse(body.generated_at) - (now + received) / 2;
      if (full) {
        var tickets = {};
        (body.tickets || []).forEach(function (t) {
          tickets[t.ticket_id] = [t.session_id, t.checked_in ? 1 : 0, t.inside ? 1 : 0];
        });
        door.bundle = {
          list: door.list, info: info(body), tickets: tickets,
          ticket_count: (body.tickets || []).length, revoked: revokedAt(body),
          generated_at: body.generated_at, fetched_at: received, checked_at: received,
          clock_offset_ms: offset,
        };
        door.wantFull = false;
        // The new bundle has what this phone let through before asking (uploaded, or
        // scanned online): from now on only scans still waiting to upload add to it.
        door.scans = door.scans.filter(function (scan) { return known.indexOf(scan.scan_id) < 0; });
        door.storage.write("scans", [], known).catch(function () {});
      } else {
        var revoked = revokedAt(body);
        Object.keys(revoked).forEach(function (id) { b.revoked[id] = revoked[id]; });
        b.info = info(body);
        b.generated_at = body.generated_at;
        b.checked_at = received;
        b.clock_offset_ms = offset;
      }
      door.keys = {};
      return door.storage.write("bundles", [door.bundle]);
    }).then(function () {
      door.onchange();
      return true;
    }).then(function (done) {
      door.refreshing = null;
      return done;
    }, function (error) {
      door.refreshing = null;
      throw error;
    });
    return door.refreshing;
  };

  // --- deciding at the door -------------------------------------------------------------------

  ScannerDoor.prototype.publicKey = function (kid) {
    if (this.keys[kid]) return this.keys[kid];
    var found = this.bundle.info.keys.filter(function (k) { return k.kid === kid; })[0];
    if (!found) return null;
    this.keys[kid] = crypto.subtle.importKey(
      "raw", fromBase64url(found.public_key), { name: "Ed25519" }, false, ["verify"]);
    return this.keys[kid];
  };

  // What a code names: {ticket, session, from, until} or a refusal {outcome}, or
  // {unverifiable} when a QR code cannot be checked on this browser.
  ScannerDoor.prototype.read = function (text) {
    var door = this;
    var lowered = text.toLowerCase();
    if (lowered.indexOf("tk_") === 0 && lowered.length <= 24) { // a ticket id typed in
      var known = door.bundle.tickets[lowered];
      return Promise.resolve({ ticket: lowered, session: known ? known[0] : null, typed: true });
    }
    var claims = decodePayload(text);
    if (!claims) return Promise.resolve({ outcome: "unknown_ticket" });
    return ed25519Works().then(function (works) {
      if (!works) return { unverifiable: true };
      var key = door.publicKey(claims.kid);
      if (!key) return { outcome: "bad_signature" };
      return key.then(function (imported) {
        return crypto.subtle.verify({ name: "Ed25519" }, imported, claims.signature, claims.header);
      }).then(function (genuine) {
        return genuine ? claims : { outcome: "bad_signature" };
      }, function () {
        return { outcome: "bad_signature" };
      });
    });
  };

  ScannerDoor.prototype.session = function (id) {
    return this.bundle.info.sessions.filter(function (s) { return s.id === id; })[0] || null;
  };

  // Where a ticket stands by the bundle and what this phone let through since.
  ScannerDoor.prototype.history = function (ticket) {
    var list = this.list;
    var base = this.bundle.tickets[ticket];
    var state = { entered: !!(base && base[1]), inside: !!(base && base[2]), lastEntry: null, lastExit: null };
    this.scans
      .filter(function (scan) {
        return scan.list === list && scan.ticket === ticket && scan.device_outcome === "accepted";
      })
      .sort(function (a, b) { return a.at - b.at || a.created - b.created; })
      .forEach(function (scan) { step(state, scan, scan.allow_reentry); });
    return state;
  };

  // The outcome of ``read`` at ``now`` (ms), with what the message needs.
  ScannerDoor.prototype.judge = function (read, direction, now) {
    var b = this.bundle;
    if (read.outcome) return read;
    var known = b.tickets[read.ticket];
    if (!read.typed && known && known[0] !== read.session) {
      return { outcome: "bad_signature" }; // genuine, yet not this ticket's: never accept
    }
    if (b.revoked[read.ticket]) return { outcome: "revoked", ticket: read.ticket };
    if (read.typed && !known) return { outcome: "unknown_ticket" };
    var session = this.session(read.session);
    if (!session) return { outcome: "wrong_list", ticket: read.ticket };
    var from = read.typed ? Date.parse(session.valid_from) / 1000 : read.from;
    var until = read.typed ? Date.parse(session.valid_until) / 1000 : read.until;
    var moment = Math.floor(now / 1000);
    var leeway = b.info.leeway;
    var found = { ticket: read.ticket, session: session };
    if (moment < from - leeway) return Object.assign(found, { outcome: "not_valid_yet", opens: from * 1000 });
    if (moment > until + leeway) return Object.assign(found, { outcome: "expired", ends: Date.parse(session.ends_at) });
    var allow = b.info.list.allow_reentry;
    return Object.assign(found, verdict(this.history(read.ticket), direction, allow));
  };

  ScannerDoor.prototype.message = function (judged, direction, now) {
    var m = this.messages;
    var winner = judged.winner;
    switch (judged.outcome) {
      case "accepted":
        return direction === "exit" ? m.accepted_exit : m.accepted_entry;
      case "already_checked_in":
        return winner ? fill(m.already_checked_in_at, { time: this.when(winner.at, now), gate: winner.gate })
          : m.already_checked_in;
      case "not_inside":
        return winner ? fill(m.not_inside_at, { time: this.when(winner.at, now), gate: winner.gate })
          : m.not_inside;
      case "not_valid_yet":
        return fill(m.not_valid_yet, { time: this.when(judged.opens, now) });
      case "expired":
        return fill(m.expired, { time: this.when(judged.ends, now) });
      default:
        return m[judged.outcome] || m.unknown_ticket;
    }
  };

  ScannerDoor.prototype.detail = function (judged) {
    var parts = [this.messages.decided_offline];
    var session = judged.session;
    if (session) {
      parts.push(((this.english && session.title_en) || session.title_zh) + " · " +
        this.when(Date.parse(session.starts_at)));
    }
    return parts.join(" · ");
  };

  // Decide a scan here and queue it: {ok, message, detail, queued}. ``scanId`` is made
  // once by the caller (the same as a failed online attempt's: uploading it then cannot
  // record the scan twice); ``fallback`` says the scan was first sent online.
  ScannerDoor.prototype.decide = function (code, direction, scanId, fallback) {
    var door = this;
    var text = code.trim();
    if (!door.bundle) {
      return Promise.resolve({
        ok: false, message: fallback ? door.messages.no_network : door.messages.no_bundle, detail: "",
      });
    }
    return door.read(text).then(function (read) {
      if (read.unverifiable) {
        return { ok: false, message: door.messages.no_ed25519, detail: door.messages.decided_offline };
      }
      var now = Date.now();
      var judged = door.judge(read, direction, now);
      var answer = {
        ok: judged.outcome === "accepted",
        message: door.message(judged, direction, now),
        detail: door.detail(judged),
        queued: false,
      };
      if (!text || text.length > CODE_MAX || text.indexOf("\u0000") >= 0) return answer;
      var scan = {
        scan_id: scanId, list: door.list, payload: text, direction: direction,
        scanned_at: isoLocal(now), at: now, created: now, device_outcome: judged.outcome,
        ticket: judged.ticket || null, gate: door.bundle.info.list.gate,
        allow_reentry: door.bundle.info.list.allow_reentry,
        source: "offline", pending: true, fallback: !!fallback, staff: door.staff,
      };
      door.scans.push(scan);
      answer.queued = true;
      return door.storage.write("scans", [scan]).then(function () {
        door.onchange();
        return answer;
      });
    });
  };

  // An online scan let a ticket through: remembered until the next bundle knows it, so a
  // network failure right after cannot let the ticket in twice.
  ScannerDoor.prototype.rememberOnline = function (result, scanId) {
    if (!this.bundle || !result.ok || !result.ticket_id) return Promise.resolve();
    var now = Date.now();
    var scan = {
      scan_id: scanId, list: this.list, payload: "", direction: result.direction,
      scanned_at: isoLocal(now), at: now, created: now, device_outcome: "accepted",
      ticket: result.ticket_id, gate: result.gate, allow_reentry: this.bundle.info.list.allow_reentry,
      source: "online", pending: false, fallback: false, staff: this.staff,
    };
    this.scans.push(scan);
    return this.storage.write("scans", [scan]);
  };

  // --- uploading ---------------------------------------------------------------------------

  function postJson(url, body, csrf) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrf,
        "Accept-Language": document.documentElement.lang,
      },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (json) { return json; }, function () { return null; })
        .then(function (json) {
          if (response.ok && json) return json;
          var error = new Error((json && json.error && json.error.message) || "HTTP " + response.status);
          error.server = true;
          throw error;
        });
    });
  }

  // Upload every list's queued scans on this phone, oldest first, at most 500 a request.
  // A scan leaves the queue once its answer has a result or an error of its own; a failed
  // request (no network, a server error, a lost login) keeps them all for the next try.
  ScannerDoor.prototype.upload = function () {
    var door = this;
    if (door.uploading) return door.uploading;
    var waiting = door.queue()
      .sort(function (a, b) { return a.at - b.at || a.created - b.created; });
    if (!waiting.length) return Promise.resolve(0);
    var batches = [];
    var byList = {};
    waiting.forEach(function (scan) {
      var batch = byList[scan.list];
      if (!batch || batch.length >= UPLOAD_MAX) {
        batch = byList[scan.list] = [];
        batches.push({ list: scan.list, scans: batch });
      }
      batch.push(scan);
    });
    var sent = 0;
    var failure = null;
    door.lastSync = { kind: "uploading" };
    door.onchange();
    door.uploading = batches.reduce(function (chain, batch) {
      return chain.then(function () {
        return postJson(door.uploadUrl.replace("{list}", batch.list), {
          scans: batch.scans.map(function (scan) {
            return {
              scan_id: scan.scan_id, payload: scan.payload, direction: scan.direction,
              scanned_at: scan.scanned_at, device_outcome: scan.device_outcome,
            };
          }),
        }, door.csrf()).then(function (body) {
          sent += door.acknowledge(batch.scans, body.results || []);
        }, function (error) {
          if (!error.server) throw error; // no network: all of them wait for the next try
          failure = failure || error; // refused (a lost login, a list taken away): these wait
        });
      });
    }, Promise.resolve()).then(function () {
      door.lastSync = failure ? { kind: "failed", reason: failure.message } : { kind: "uploaded", n: sent };
      door.wantFull = door.wantFull || sent > 0;
      return sent;
    }, function (error) {
      door.lastSync = error.server ? { kind: "failed", reason: error.message } : { kind: "waiting" };
      return sent;
    }).then(function (n) {
      door.uploading = null;
      door.onchange();
      if (n && navigator.onLine !== false) door.refresh().catch(function () {});
      return n;
    });
    return door.uploading;
  };

  // The server's answers to a batch: take the scans out of the queue, note where its
  // verdict differs from what the door did. Returns how many left the queue.
  ScannerDoor.prototype.acknowledge = function (scans, results) {
    var door = this;
    var byId = {};
    scans.forEach(function (scan) { byId[scan.scan_id] = scan; });
    var puts = [];
    var deletes = [];
    var differences = [];
    results.forEach(function (item) {
      var scan = byId[item.scan_id];
      if (!scan || !scan.pending) return;
      scan.pending = false;
      var server = null;
      if (item.result) {
        if (item.result.outcome !== scan.device_outcome) server = item.result.message;
      } else if (item.error && !(scan.fallback && item.error.code === "scan_id_reused")) {
        // (A scan first sent online whose answer was lost is already recorded as such.)
        server = fill(door.messages.not_recorded, { reason: item.error.message });
      }
      if (server) {
        differences.push({
          at: scan.at, list: scan.list, ticket: scan.ticket || scan.payload.slice(0, 24),
          device: scan.device_outcome === "accepted" ? door.messages.let_in : door.messages.turned_away,
          server: server,
        });
      }
      // What the door let through stays until the next bundle knows it; refusals go.
      if (scan.device_outcome === "accepted") puts.push(scan); else deletes.push(scan.scan_id);
    });
    door.scans = door.scans.filter(function (scan) { return deletes.indexOf(scan.scan_id) < 0; });
    door.addDifferences(differences);
    door.storage.write("scans", puts, deletes).catch(function () {});
    return puts.length + deletes.length;
  };

  ScannerDoor.isoLocal = isoLocal;
  ScannerDoor.fill = fill;
  ScannerDoor.ed25519Works = ed25519Works;
  window.ScannerDoor = ScannerDoor;
})();
