"""Flash-deal admission in Redis: who may have a unit, decided in one atomic step.

Per deal, four keys under ``<DEAL_REDIS_PREFIX>:deal:<public id>:``:

- ``state``: a hash of what admission needs (start, end, per-buyer limit, status), so a
  request is answered without reading the database;
- ``free``: the set of free slot numbers (1..quantity); a unit is a slot;
- ``buyers``: buyer id → bit mask of the buyer's sequence numbers in use (1..limit);
- ``admitted``: token → ``buyer|slot|seq|ms``: admissions whose order is not yet known to
  be in the database;
- ``callers``: the callers ever admitted (an opaque reference of their credentials, see
  ``api.deal_front``), so that the sold-out answer given before Django (``sold_out_for``)
  is never given to a caller whose retry should replay its order;
- ``requests``: token → the buy's request (JSON: delivery, address), written with the
  admission, so that its order can be written after the buyer was answered (by this
  process's writer, or by the reconciler after a crash): dropped with ``admitted``;
- ``keys``: ``buyer|Idempotency-Key`` → ``token|fingerprint``: a retry under the same key
  is answered the same ticket (``again``) without taking another unit.

``ADMIT`` (Lua, atomic) checks the window, refuses when ``free`` is empty (sold out: no
database touched), finds the buyer's lowest free sequence number (over the limit: refused),
pops a slot and records the admission (and its request, and its Idempotency-Key). The
order and the ``DealTicket`` (token, slot, seq) are then written in one transaction (in
the request, or behind its answer: ``deals.deal_grab``) and the token dropped from
``admitted`` (``confirm``); if the write is refused the unit goes back (``give_back``). A
crash between the two leaves the token in ``admitted``: the reconciler
(``deals.deal_reconcile``) writes its order from the kept request, or, without one or when
the order is refused, a ``void`` ticket under that token (so a late write of the order
fails on the unique token) and gives the unit back; or it finds the order and confirms it.
The live tickets' unique (deal, slot) and (deal, buyer, seq) keep the database from ever
holding an oversold unit or a buyer over the limit, whatever Redis says.

When the deal's keys are missing (a Redis restart), ``load`` rebuilds them from the
database's live tickets. Redis errors are raised to the caller as ``AdmissionUnavailable``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from django.conf import settings

# ARGV: buyer, token, now ms, caller, request JSON ('' none), key field ('' none), fingerprint.
_ADMIT = """
local st = redis.call('HMGET', KEYS[1], 'starts', 'ends', 'limit', 'status')
if not st[1] then return {'missing'} end
if ARGV[6] ~= '' then
  local first = redis.call('HGET', KEYS[7], ARGV[6])
  if first then return {'again', first} end
end
local now = tonumber(ARGV[3])
if st[4] ~= 'scheduled' then return {'ended'} end
if now < tonumber(st[1]) then return {'not_started'} end
if now >= tonumber(st[2]) then return {'ended'} end
if redis.call('SCARD', KEYS[2]) == 0 then return {'sold_out'} end
local mask = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
local seq = nil
for i = 1, tonumber(st[3]) do
  if bit.band(mask, bit.lshift(1, i - 1)) == 0 then seq = i break end
end
if not seq then return {'limit'} end
local slot = redis.call('SPOP', KEYS[2])
redis.call('HSET', KEYS[3], ARGV[1], bit.bor(mask, bit.lshift(1, seq - 1)))
redis.call('HSET', KEYS[4], ARGV[2], ARGV[1] .. '|' .. slot .. '|' .. seq .. '|' .. ARGV[3])
if ARGV[4] ~= '' then redis.call('SADD', KEYS[5], ARGV[4]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[6], ARGV[2], ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[7], ARGV[6], ARGV[2] .. '|' .. ARGV[7]) end
return {'ok', slot, tostring(seq)}
"""

# Whether the deal is running and has no unit free, for a caller never admitted (ARGV:
# caller, now ms): 1, else 0 (not loaded, not running, units free, or admitted once).
_SOLD_OUT_FOR = """
local st = redis.call('HMGET', KEYS[1], 'starts', 'ends', 'status')
if not st[1] or st[3] ~= 'scheduled' then return 0 end
local now = tonumber(ARGV[2])
if now < tonumber(st[1]) or now >= tonumber(st[2]) then return 0 end
if redis.call('SCARD', KEYS[2]) ~= 0 then return 0 end
if ARGV[1] ~= '' and redis.call('SISMEMBER', KEYS[5], ARGV[1]) == 1 then return 0 end
return 1
"""

# ARGV: buyer, slot ('' to keep it out), seq, token ('' for a confirmed ticket's unit).
_GIVE_BACK = """
if ARGV[4] ~= '' then
  if redis.call('HDEL', KEYS[4], ARGV[4]) == 0 then return 0 end
  redis.call('HDEL', KEYS[6], ARGV[4])
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local mask = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
local b = bit.lshift(1, tonumber(ARGV[3]) - 1)
if bit.band(mask, b) ~= 0 then
  mask = bit.band(mask, bit.bnot(b))
  if mask == 0 then redis.call('HDEL', KEYS[3], ARGV[1])
  else redis.call('HSET', KEYS[3], ARGV[1], mask) end
end
if ARGV[2] ~= '' then redis.call('SADD', KEYS[2], ARGV[2]) end
return 1
"""

# ARGV: starts, ends, limit, status, quantity, n, slot x n, (buyer, mask) pairs.
_LOAD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'starts', ARGV[1], 'ends', ARGV[2], 'limit', ARGV[3],
  'status', ARGV[4], 'quantity', ARGV[5])
local n = tonumber(ARGV[6])
for i = 7, 6 + n do redis.call('SADD', KEYS[2], ARGV[i]) end
for i = 7 + n, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
return 1
"""

# The reconciler's repair, given the database's live tickets read after ``snapshot``.
# ARGV: quantity, n_candidates, candidate slots (out of Redis and not live in the database
# at the snapshot), n_live, live slots, then (buyer, mask from the database) pairs.
_REPAIR = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0} end
local admitted = redis.call('HVALS', KEYS[4])
local held = {}
local masks = {}
for _, v in ipairs(admitted) do
  local b, s, q = string.match(v, '^([^|]+)|([^|]+)|([^|]+)|')
  held[s] = true
  masks[b] = bit.bor(masks[b] or 0, bit.lshift(1, tonumber(q) - 1))
end
local added, removed = 0, 0
local n = tonumber(ARGV[2])
for i = 3, 2 + n do
  local s = ARGV[i]
  if not held[s] and redis.call('SISMEMBER', KEYS[2], s) == 0 then
    redis.call('SADD', KEYS[2], s) added = added + 1
  end
end
local m = tonumber(ARGV[3 + n])
for i = 4 + n, 3 + n + m do
  removed = removed + redis.call('SREM', KEYS[2], ARGV[i])
end
local want = {}
for i = 4 + n + m, #ARGV, 2 do want[ARGV[i]] = tonumber(ARGV[i + 1]) end
for b, mk in pairs(masks) do want[b] = bit.bor(want[b] or 0, mk) end
local have = redis.call('HGETALL', KEYS[3])
for i = 1, #have, 2 do
  if not want[have[i]] then redis.call('HDEL', KEYS[3], have[i]) end
end
for b, mk in pairs(want) do redis.call('HSET', KEYS[3], b, mk) end
return {added, removed}
"""


class AdmissionUnavailable(Exception):
    """Redis did not answer."""


@dataclass(frozen=True)
class Admission:
    outcome: str  # ok, again (the key's first token), sold_out, limit, not_started, ended, missing
    token: str = ""
    slot: int = 0
    seq: int = 0
    fingerprint: str = ""  # again: the first request's


@dataclass(frozen=True)
class Admitted:
    token: str
    buyer_id: int
    slot: int
    seq: int
    at_ms: int


def enabled() -> bool:
    """Whether admission runs in Redis here (else the database path)."""
    return bool(getattr(settings, "DEAL_REDIS_URL", ""))


_lock = threading.Lock()
_stores: dict[str, RedisDeals] = {}


def store() -> RedisDeals:
    url = settings.DEAL_REDIS_URL
    prefix = settings.DEAL_REDIS_PREFIX
    key = f"{url}|{prefix}"
    found = _stores.get(key)
    if found is None:
        with _lock:
            found = _stores.setdefault(key, RedisDeals(url, prefix))
    return found


class RedisDeals:
    def __init__(self, url: str, prefix: str):
        import redis

        self._redis_errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=5, socket_connect_timeout=2
        )
        self.prefix = prefix
        self._admit = self.client.register_script(_ADMIT)
        self._give_back = self.client.register_script(_GIVE_BACK)
        self._load = self.client.register_script(_LOAD)
        self._repair = self.client.register_script(_REPAIR)
        self._sold_out_for = self.client.register_script(_SOLD_OUT_FOR)

    def keys(self, deal_id: str) -> list[str]:
        base = f"{self.prefix}:deal:{deal_id}:"
        return [
            base + "state",
            base + "free",
            base + "buyers",
            base + "admitted",
            base + "callers",
            base + "requests",
            base + "keys",
        ]

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except self._redis_errors as error:
            raise AdmissionUnavailable(str(error)) from error

    def admit(
        self,
        deal_id: str,
        *,
        buyer_id: int,
        token: str,
        now_ms: int,
        caller: str = "",
        request: dict | None = None,
        key: str = "",
        fingerprint: str = "",
    ) -> Admission:
        """Admit one unit; with ``request`` it is kept for the order's writer, with
        ``key`` (an Idempotency-Key) a second admission under it answers ``again``."""
        args = [
            buyer_id,
            token,
            now_ms,
            caller,
            json.dumps(request, separators=(",", ":")) if request is not None else "",
            f"{buyer_id}|{key}" if key else "",
            fingerprint,
        ]
        answer = self._call(self._admit, keys=self.keys(deal_id), args=args)
        if answer[0] == "again":
            first, _sep, first_fingerprint = answer[1].partition("|")
            return Admission("again", token=first, fingerprint=first_fingerprint)
        if answer[0] != "ok":
            return Admission(answer[0])
        return Admission("ok", token=token, slot=int(answer[1]), seq=int(answer[2]))

    def confirm(self, deal_id: str, token: str) -> None:
        keys = self.keys(deal_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.hdel(keys[3], token)
        pipe.hdel(keys[5], token)
        self._call(pipe.execute)

    def admitted(self, deal_id: str, token: str) -> tuple[Admitted, dict | None] | None:
        """An admission not yet confirmed, and its request (None when it was admitted
        without one); None when the token is not admitted (any more)."""
        keys = self.keys(deal_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.hget(keys[3], token)
        pipe.hget(keys[5], token)
        value, request = self._call(pipe.execute)
        if value is None:
            return None
        buyer, slot, seq, at = value.split("|")
        entry = Admitted(token, int(buyer), int(slot), int(seq), int(at))
        return entry, (json.loads(request) if request else None)

    def give_back(
        self, deal_id: str, *, buyer_id: int, slot: int | None, seq: int, token: str = ""
    ) -> bool:
        done = self._call(
            self._give_back,
            keys=self.keys(deal_id),
            args=[buyer_id, "" if slot is None else slot, seq, token],
        )
        return bool(done)

    def load(
        self,
        deal_id: str,
        *,
        starts_ms: int,
        ends_ms: int,
        limit: int,
        status: str,
        quantity: int,
        free: list[int],
        masks: dict[int, int],
    ) -> bool:
        pairs: list = []
        for buyer_id, mask in masks.items():
            pairs += [buyer_id, mask]
        args = [starts_ms, ends_ms, limit, status, quantity, len(free), *free, *pairs]
        return bool(self._call(self._load, keys=self.keys(deal_id), args=args))

    def set_state(self, deal_id: str, **fields) -> None:
        """Change the state of a deal already loaded (nothing when it is not)."""
        state = self.keys(deal_id)[0]
        pipe = self.client.pipeline()
        pipe.exists(state)
        result = self._call(pipe.execute)
        if result[0]:
            self._call(self.client.hset, state, mapping=fields)

    def is_loaded(self, deal_id: str) -> bool:
        return bool(self._call(self.client.exists, self.keys(deal_id)[0]))

    def sold_out_for(self, deal_id: str, *, caller: str, now_ms: int) -> bool:
        """True when the deal runs, has no unit free, and ``caller`` was never admitted."""
        return bool(self._call(self._sold_out_for, keys=self.keys(deal_id), args=[caller, now_ms]))

    def units_left(self, deal_id: str) -> int | None:
        """Free slots, or None when the deal is not loaded."""
        state, free, *_rest = self.keys(deal_id)
        pipe = self.client.pipeline()
        pipe.exists(state)
        pipe.scard(free)
        loaded, left = self._call(pipe.execute)
        return int(left) if loaded else None

    def snapshot(self, deal_id: str) -> tuple[set[int], list[Admitted]]:
        """The free slots and the admissions not yet confirmed, read at one moment."""
        _state, free, _buyers, admitted, *_rest = self.keys(deal_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.smembers(free)
        pipe.hgetall(admitted)
        members, entries = self._call(pipe.execute)
        out = []
        for token, value in entries.items():
            buyer, slot, seq, at = value.split("|")
            out.append(Admitted(token, int(buyer), int(slot), int(seq), int(at)))
        return {int(s) for s in members}, out

    def repair(
        self,
        deal_id: str,
        *,
        quantity: int,
        candidates: list[int],
        live: list[int],
        masks: dict[int, int],
    ) -> tuple[int, int]:
        pairs: list = []
        for buyer_id, mask in masks.items():
            pairs += [buyer_id, mask]
        args = [quantity, len(candidates), *candidates, len(live), *live, *pairs]
        added, removed = self._call(self._repair, keys=self.keys(deal_id), args=args)
        return int(added), int(removed)

    def drop(self, deal_id: str) -> None:
        self._call(self.client.delete, *self.keys(deal_id))
