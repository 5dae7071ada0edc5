-- wrk script for bench/lookup_bench.py: GET /api/v1/persons/{random id} with a bearer token,
-- and a one-line JSON summary on stdout.
--   wrk -t2 -c32 -d10s -s bench/lookup.lua http://127.0.0.1:PORT -- MAX_ID TOKEN [PATH_PREFIX]
local next_no = 1
local max_id = 1
local prefix = "/api/v1/persons/"

function setup(thread)
  thread:set("thread_no", next_no)
  next_no = next_no + 1
end

function init(args)
  max_id = tonumber(args[1])
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  if args[3] then
    prefix = args[3]
  end
  math.randomseed(os.time() * 100 + thread_no)
end

function request()
  return wrk.format("GET", prefix .. math.random(1, max_id))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, '
      .. '"max_us": %d, "status_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
