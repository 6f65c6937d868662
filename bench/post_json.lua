-- post_json.lua: wrk script for bench/run. POSTs one JSON body, the same on
-- every request, to the URL given to wrk (the setup_update case: the same
-- tenant's setup saved over and over).
--
--   BENCH_BODY   the file holding the body (bench/run writes it)
--
-- The bearer token comes from wrk's -H, as for the GET cases.

local path = assert(os.getenv("BENCH_BODY"), "post_json.lua: set BENCH_BODY to the body's file")
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
