-- wrk script for bench/lookup_bench.py: GET /api/v1/persons/{random id} with a bearer token,
-- a fixed number of responses per wrk thread, and a one-line JSON summary on stdout.
--   wrk -t2 -c32 -d600s -s bench/lookup.lua http://127.0.0.1:PORT -- MAX_ID PER_THREAD TOKEN
local next_id = 1
local max_id, limit, counter = 1, 0, 0

function setup(thread)
  thread:set("thread_no", next_id)
  next_id = next_id + 1
end

function init(args)
  max_id = tonumber(args[1])
  limit = tonumber(args[2])
  wrk.headers["Authorization"] = "Bearer " .. args[3]
  math.randomseed(os.time() * 100 + thread_no)
end

function request()
  return wrk.format("GET", "/api/v1/persons/" .. math.random(1, max_id))
end

function response(status, headers, body)
  counter = counter + 1
  if counter >= limit then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, '
      .. '"max_us": %d, "status_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
