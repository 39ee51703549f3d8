-- wrk script: replays pre-signed object store requests (bench/object-mkreqs.py) round-robin.
-- REQS=file of paths, MODE=get|put, SIZE=PUT body bytes. Each thread starts at a random line.
local reqs = {}
local idx = 0
local mode = os.getenv("MODE") or "get"
local body = nil

function init(args)
  for line in io.lines(os.getenv("REQS")) do reqs[#reqs + 1] = line end
  if mode == "put" then body = string.rep("x", tonumber(os.getenv("SIZE") or "4096")) end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  idx = math.random(#reqs)
end

function request()
  idx = idx % #reqs + 1
  if mode == "put" then
    return wrk.format("PUT", reqs[idx], { ["Content-Type"] = "application/octet-stream" }, body)
  end
  return wrk.format("GET", reqs[idx])
end
