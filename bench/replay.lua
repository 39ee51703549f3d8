-- wrk script: replays one pre-signed TC3 request (see bench/presign.js) and
-- counts answers that are not HTTP 200 or carry Response.Error.
wrk.method = "POST"
wrk.body = os.getenv("YUN_BODY") or "{}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-TC-Action"] = os.getenv("YUN_ACTION")
wrk.headers["X-TC-Version"] = os.getenv("YUN_VERSION")
wrk.headers["X-TC-Region"] = os.getenv("YUN_REGION")
wrk.headers["X-TC-Timestamp"] = os.getenv("YUN_TS")
wrk.headers["Authorization"] = os.getenv("YUN_AUTH")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  api_errors = 0
  first_error = ""
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"Error"', 1, true) then
    api_errors = api_errors + 1
    if first_error == "" then first_error = string.sub(body, 1, 200) end
  end
end

function done(summary, latency, requests)
  local errors, sample = 0, ""
  for _, t in ipairs(threads) do
    errors = errors + t:get("api_errors")
    if sample == "" then sample = t:get("first_error") end
  end
  io.write(string.format("api_errors %d\n", errors))
  if errors > 0 then io.write("first_error " .. sample .. "\n") end
end
