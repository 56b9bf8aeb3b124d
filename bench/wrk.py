"""wrk driving a live server with prepared requests, for the HTTP benchmarks.

``run`` writes the requests (one ``line`` each: method, path, headers, body) to a file
that a Lua script hands out, each once (or round and round for a duration), split
between wrk's threads. Time is taken in the script through LuaJIT's FFI (wrk's own
duration counts the wait for the last thread); a thread that has all its answers
says so with a file, and the runner stops wrk early with SIGINT, after which wrk still
prints its summary. Answers are counted by HTTP status.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

# wrk script: each request takes the next line of REQUESTS_FILE (method, path, headers and
# body as JSON); a thread stops once it has its share of answers. Counts answers by status.
WRK_SCRIPT = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } timeval;
int gettimeofday(timeval *tv, void *tz);
]]
local function now()
  local tv = ffi.new("timeval")
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6
end
local lines = {}
for line in io.lines(os.getenv("REQUESTS_FILE")) do lines[#lines + 1] = line end
local threads, counter = {}, 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
local total = tonumber(os.getenv("THREADS"))
local repeat_all = os.getenv("REPEAT") == "1"
local mine, answers, next_index, statuses = {}, 0, 1, {}
local verified = true
local all_sent, finished = 0, false
-- A request of ours lost to a socket error or a timeout never gets response(): once all
-- are sent, a thread waits wrk's timeout (and a little) for the last answers, no longer.
local wait_after_sent = tonumber(os.getenv("WAIT_AFTER_SENT"))
first, last, codes = 0, 0, ""
local function finish()
  if finished then return end
  finished = true
  -- Tell the runner this thread is through: wrk itself would wait out its duration.
  io.open(os.getenv("DONE_DIR") .. "/" .. id, "w"):close()
  wrk.thread:stop()
end
function init(args)
  verified = id ~= 1  -- init runs in each thread's state once setup has given it its id
  for i = id, #lines, total do mine[#mine + 1] = lines[i] end
end
request = function()
  if not verified then
    -- wrk calls the first thread's request() once before it runs, to inspect what it
    -- returns (script_verify_request), and never sends that: do not spend a line on it.
    verified = true
    return wrk.format("GET", "/healthz")
  end
  if first == 0 then first = now() end
  local index = next_index
  if index > #mine then
    if not repeat_all then
      if all_sent == 0 then
        all_sent = now()
      elseif now() - all_sent > wait_after_sent then
        finish()
      end
      return wrk.format("GET", "/healthz")
    end
    index = ((index - 1) % #mine) + 1
  end
  next_index = next_index + 1
  local method, path, encoded, body = mine[index]:match("^([^	]+)	([^	]+)	([^	]*)	(.*)$")
  local headers = {}
  for name, value in encoded:gmatch("([^|=]+)=([^|]*)") do headers[name] = value end
  if repeat_all and headers["Idempotency-Key"] then
    headers["Idempotency-Key"] = headers["Idempotency-Key"] .. "-" .. id .. "-" .. next_index
  end
  return wrk.format(method, path, headers, body)
end
response = function(status, headers, body)
  if body and body:find('"migrations"', 1, true) then return end  -- a filler request
  answers = answers + 1
  if repeat_all or answers <= #mine then
    statuses[status] = (statuses[status] or 0) + 1
    last = now()
    local parts = {}
    for code, n in pairs(statuses) do parts[#parts + 1] = code .. "=" .. n end
    codes = table.concat(parts, ",")
  end
  if not repeat_all and answers == #mine then finish() end
end
done = function(summary, latency, requests)
  local started, finished, merged = math.huge, 0, {}
  for _, thread in ipairs(threads) do
    started = math.min(started, thread:get("first"))
    finished = math.max(finished, thread:get("last"))
    for code, n in string.gmatch(thread:get("codes"), "(%d+)=(%d+)") do
      merged[code] = (merged[code] or 0) + tonumber(n)
    end
  end
  local parts = {}
  for code, n in pairs(merged) do parts[#parts + 1] = code .. "=" .. n end
  local e = summary.errors
  io.write(string.format("RESULT %d %.6f %.3f %.3f %s errors=%d,%d,%d,%d,%d started=%.6f\n",
    summary.requests, finished - started, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, table.concat(parts, ","), e.connect, e.read, e.write,
    e.status, e.timeout, started))
end
"""
_RESULT = re.compile(
    r"^RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\S*) errors=(\d+),(\d+),(\d+),(\d+),(\d+)"
    r" started=([\d.]+)$",
    re.M,
)
# wrk's own timeout for one answer; a request without one by then is a timeout error.
TIMEOUT_SECONDS = 30


def line(method: str, path: str, headers: dict[str, str], body: str) -> str:
    encoded = "|".join(f"{name}={value}" for name, value in headers.items())
    return f"{method}\t{path}\t{encoded}\t{body}"


def run(
    base: str,
    lines: list[str],
    *,
    clients: int,
    folder: Path,
    seconds: int = 120,
    repeat: bool = False,
) -> dict[str, float]:
    """Send ``lines`` (each once, or round and round for ``seconds`` with ``repeat``).

    Returns requests, seconds (first request to last answer), p50_ms, p99_ms, statuses
    (answers by HTTP status), socket_errors and started_at (the first request's epoch)."""
    (folder / "requests.txt").write_text("\n".join(lines) + "\n")
    (folder / "wrk.lua").write_text(WRK_SCRIPT)
    threads = 2
    env = {
        **os.environ,
        "REQUESTS_FILE": str(folder / "requests.txt"),
        "THREADS": str(threads),
        "REPEAT": "1" if repeat else "0",
    }
    script = str(folder / "wrk.lua")
    done = folder / "done"
    shutil.rmtree(done, ignore_errors=True)
    done.mkdir()
    env["DONE_DIR"] = str(done)
    env["WAIT_AFTER_SENT"] = str(TIMEOUT_SECONDS + 5)
    command = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "-s", script]
    proc = subprocess.Popen(
        [*command, "--timeout", f"{TIMEOUT_SECONDS}s", base],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not repeat and proc.poll() is None and len(list(done.iterdir())) < threads:
        time.sleep(0.05)
    # Without every thread done, wrk's duration ran out: the rest were never answered.
    cut_short = not repeat and len(list(done.iterdir())) < threads
    if proc.poll() is None and not repeat:
        proc.send_signal(signal.SIGINT)  # wrk stops and prints its summary
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed: {err or out}")
    found = _RESULT.search(out).groups()
    requests, seconds, p50, p99, codes, connect, read, write, status, timeout, started = found
    counted = dict(sorted((c, int(n)) for c, n in re.findall(r"(\d+)=(\d+)", codes)))
    errors = {"connect": int(connect), "read": int(read), "write": int(write)}
    errors["timeout"] = int(timeout)
    answered = sum(counted.values())
    return {
        # When the first request went out (epoch seconds, this machine's clock): where a
        # sale's selling phase starts, to set beside the orders' own timestamps.
        "started_at": float(started),
        "socket_errors": sum(errors.values()),
        "errors": errors,
        "non_2xx_3xx": int(status),
        "requests": int(requests),
        "seconds": float(seconds),
        "p50_ms": float(p50),
        "p99_ms": float(p99),
        "statuses": counted,
        "answered": answered,
        # Each line once: those without an answer (a socket error, a timeout, or not sent
        # before the duration ran out: ``cut_short``).
        "unanswered": 0 if repeat else max(0, len(lines) - answered),
        "cut_short": cut_short,
    }


def statuses(result: dict) -> str:
    shown = " ".join(f"{code}:{n}" for code, n in result["statuses"].items())
    if result.get("unanswered"):
        shown += f" unanswered:{result['unanswered']}"
    errors = ",".join(f"{k}:{n}" for k, n in result.get("errors", {}).items() if n)
    return shown + (f" socket errors:{errors}" if errors else "")
