-- wrk script: reads of seeded Observations (obs-1 .. obs-$TB_COUNT) in random order.
local count = tonumber(os.getenv("TB_COUNT") or "2000")
local counter = 0
function init(args)
  math.randomseed(os.time() * 1000 + tonumber(tostring({}):match("0x(%x+)"), 16) % 1000)
end
function request()
  return wrk.format("GET", "/fhir/Observation/obs-" .. math.random(count))
end
