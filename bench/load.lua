-- wrk script for the load benchmarks (bench/loadtest.py): POST one request per call, count non-2xx
-- responses, and print one machine-readable summary line ("BENCH_RESULT {...}") when done.
--
-- Two ways to say what is sent:
--   BENCH_BODY       the same body every time (headers come with wrk's -H option);
--   BENCH_REQUESTS   a file with one request per line: tab-separated "Name: value" headers (":path:
--                    /…" sends the line to that path instead of wrk's URL), then the body, sent in the
--                    file's order from line BENCH_OFFSET + 1, each at most once. It reports how many it
--                    handed out (generated), so that the next run starts after them, and running out
--                    (exhausted: the caller makes more and runs again). With BENCH_CYCLE set, it starts
--                    from the top again instead (for a server that ignores what the lines say). Run it
--                    with one wrk thread (-t 1): threads have a Lua state each and cannot share the
--                    file's order.

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or ""
wrk.headers["Content-Type"] = "application/json"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function split_tabs(line)
  local fields = {}
  for field in string.gmatch(line, "[^\t]+") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  responses = 0
  non2xx = 0
  first_bad_status = 0
  generated = 0
  exhausted = 0
  local path = os.getenv("BENCH_REQUESTS")
  if path then
    local offset = tonumber(os.getenv("BENCH_OFFSET"))
    cycle = (os.getenv("BENCH_CYCLE") or "") ~= ""
    mine = {}
    local number = 0
    for line in io.lines(path) do
      if number >= offset then
        table.insert(mine, line)
      end
      number = number + 1
    end
  end
end

local function format_line(line)
  local fields = split_tabs(line)
  local headers = {}
  local path = nil
  for i = 1, #fields - 1 do
    local to = string.match(fields[i], "^:path:%s*(.*)$")
    if to then
      path = to
    else
      local name, value = string.match(fields[i], "^([^:]+):%s*(.*)$")
      headers[name] = value
    end
  end
  return wrk.format(nil, path, headers, fields[#fields])
end

function request()
  if not mine then
    return wrk.format()
  end
  if not peeked then
    -- wrk calls request() once before it connects, to check the script (script_verify_request),
    -- and never sends that one: show it the next line without using the line up.
    peeked = true
    return format_line(mine[1] or "")
  end
  local line = mine[generated + 1]
  if not line and cycle then
    line = mine[generated % #mine + 1]
    generated = generated + 1
  elseif not line then
    exhausted = 1
    line = mine[#mine]
  else
    generated = generated + 1
  end
  return format_line(line)
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad_status == 0 then
      first_bad_status = status
    end
  end
end

function done(summary, latency, requests)
  local total, bad, bad_status, handed_out, ran_out = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("responses")
    bad = bad + thread:get("non2xx")
    if bad_status == 0 then
      bad_status = thread:get("first_bad_status")
    end
    handed_out = handed_out + thread:get("generated")
    ran_out = math.max(ran_out, thread:get("exhausted"))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"duration_us": %d, "requests": %d, "responses": %d, "non2xx": %d, ' ..
    '"first_bad_status": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"timeouts": %d, "latency_mean_us": %.1f, "latency_max_us": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "generated": %d, "exhausted": %d}\n',
    summary.duration, summary.requests, total, bad, bad_status,
    e.connect, e.read, e.write, e.timeout, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), handed_out, ran_out))
end
