-- wrk script for bench/exchange_bench.py: governed exchange reads vs a bare primary-key read,
-- and a one-line JSON summary on stdout.
--   wrk -t2 -c32 -d8s -s bench/exchange_lookup.lua http://127.0.0.1:PORT -- \
--       MODE KEYS_FILE TOKEN RUN_ID [BATCH_SIZE] [X_USER]
-- MODE: lookup  GET  /api/v1/exchange/resources/330100-GA-0001/records/{identity number}
--       batch   POST /api/v1/exchange/resources/330100-GA-0001/batch {"keys": [BATCH_SIZE numbers]}
--       pk      GET  /api/v1/_bench/pk/src_household/{id}   (the same rows, no governance)
-- KEYS_FILE: one "identity_number<TAB>src_household.id" per line. Every governed request
-- carries a nonce unique across runs, threads and requests: RUN_ID-thread-counter-random.
local next_no = 1
local resource = "/api/v1/exchange/resources/330100-GA-0001"

function setup(thread)
  thread:set("thread_no", next_no)
  next_no = next_no + 1
end

local mode, token, run_id, batch_n, x_user
local keys, ids = {}, {}
local counter = 0

function init(args)
  mode, token, run_id = args[1], args[3], args[4]
  batch_n = tonumber(args[5] or "100")
  x_user = args[6] or "bench%20user"
  for line in io.lines(args[2]) do
    local key, id = line:match("^(%S+)\t(%d+)$")
    if key then
      keys[#keys + 1] = key
      ids[#ids + 1] = id
    end
  end
  math.randomseed(os.time() * 1000 + thread_no)
end

local function governed_headers()
  counter = counter + 1
  return {
    ["Authorization"] = "Bearer " .. token,
    ["X-User"] = x_user,
    ["X-Case-Id"] = "BENCH-" .. run_id,
    ["X-Request-Nonce"] = string.format("%s-%d-%d-%06x", run_id, thread_no, counter,
      math.random(0, 0xffffff)),
  }
end

function request()
  if mode == "pk" then
    return wrk.format("GET", "/api/v1/_bench/pk/src_household/" .. ids[math.random(1, #ids)])
  end
  local h = governed_headers()
  if mode == "lookup" then
    return wrk.format("GET", resource .. "/records/" .. keys[math.random(1, #keys)], h)
  end
  local picked, start = {}, math.random(0, #keys - 1)
  for i = 1, batch_n do -- distinct keys: a run of the (shuffled) file from a random start
    picked[i] = '"' .. keys[(start + i - 1) % #keys + 1] .. '"'
  end
  h["Content-Type"] = "application/json"
  return wrk.format("POST", resource .. "/batch", h, '{"keys": [' .. table.concat(picked, ",") .. "]}")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, '
      .. '"max_us": %d, "status_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
