-- wrk script for `python -m bench.search` and `python -m bench.soak` (not part of linkvault).
--
--   wrk -t2 -c16 -d10s --latency -s bench/_wrk.lua http://127.0.0.1:PORT -- PATHS_FILE
--
-- Each request takes the next path from PATHS_FILE (one URL-encoded path a line), cycling;
-- threads start at different places in the list. done() prints one "RESULT" line with the
-- counts and latency percentiles (microseconds) that bench/_common.py (run_wrk) parses.

local counter = 0

function setup(thread)
  thread:set("thread_no", counter)
  counter = counter + 1
end

local paths = {}
local position = 1

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  if #paths == 0 then
    error("no paths in " .. tostring(args[1]))
  end
  position = ((thread_no or 0) * 97) % #paths + 1
end

function request()
  local path = paths[position]
  position = position % #paths + 1
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d "
      .. "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
