-- wrk script for bench/submit: POST one JSON answer submission per request, count non-2xx
-- responses, and print one machine-readable summary line ("BENCH_RESULT {...}") when done.
--
-- The body comes from the BENCH_BODY environment variable; the Authorization header is passed
-- with wrk's -H option and the URL names the survey, so one script serves the app and the baseline.

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or '{"answers":[{"question":"nps","value":9}]}'
wrk.headers["Content-Type"] = "application/json"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  responses = 0
  non2xx = 0
  first_bad_status = 0
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
  local total, bad, bad_status = 0, 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("responses")
    bad = bad + thread:get("non2xx")
    if bad_status == 0 then
      bad_status = thread:get("first_bad_status")
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"duration_us": %d, "requests": %d, "responses": %d, "non2xx": %d, ' ..
    '"first_bad_status": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"timeouts": %d, "latency_mean_us": %.1f, "latency_max_us": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d}\n',
    summary.duration, summary.requests, total, bad, bad_status,
    e.connect, e.read, e.write, e.timeout, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
