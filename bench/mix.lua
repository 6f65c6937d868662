-- mix.lua: wrk script for bench/run's mix case and the soak. Nine requests
-- in ten read a tenant's setup status (GET, the URL given to wrk); the
-- tenth saves document 001 section 9's whole body into another tenant
-- (POST, the same tenant every time: an update).
--
--   BENCH_BODY      the file holding the body
--   BENCH_MIX_POST  the path the saves go to
--
-- The bearer token comes from wrk's -H, as for the GET cases. The choice is
-- by request number, not random: every run has exactly 10 % writes.

local function need(name)
    local value = os.getenv(name)
    assert(value and value ~= "", "mix.lua: set " .. name)
    return value
end

local f = assert(io.open(need("BENCH_BODY"), "rb"))
local body = f:read("*a")
f:close()
local post_path = need("BENCH_MIX_POST")
local n = 0
local post_headers

request = function()
    n = n + 1
    if n % 10 == 0 then
        if not post_headers then -- wrk.headers (the token from -H) plus the media type
            post_headers = {["Content-Type"] = "application/json"}
            for k, v in pairs(wrk.headers) do
                post_headers[k] = v
            end
        end
        return wrk.format("POST", post_path, post_headers, body)
    end
    return wrk.format("GET")
end
