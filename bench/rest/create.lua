-- wrk script: creates (POST) of a tb-observation-conformant Observation; each is validated,
-- indexed, audited and durable (committed) before the 201 goes out.
local f = assert(io.open(os.getenv("TB_BODY"), "r"))
local body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/fhir+json"
