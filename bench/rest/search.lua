-- wrk script: searches by subject and code (about 10 matches each, one page of 10), random subject.
local patients = tonumber(os.getenv("TB_PATIENTS") or "200")
function init(args)
  math.randomseed(os.time() * 1000 + tonumber(tostring({}):match("0x(%x+)"), 16) % 1000)
end
function request()
  return wrk.format("GET", "/fhir/Observation?subject=Patient/p-" .. math.random(patients) ..
                           "&code=http://loinc.org%7C777-3&_count=10")
end
