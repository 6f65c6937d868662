-- post_json_cycle.lua: wrk script for bench/databases. POSTs one JSON body,
-- the same on every request, to tenants taken in turn from a list (their
-- setups saved over and over): the URL given to wrk holds the placeholder
-- _TENANT_. Thread t of n cycles through ids t, t+n, t+2n, ..., so with more
-- ids per thread than its connections, no two requests in flight save the
-- same tenant (the saves of one tenant serialize, on a server database by
-- retrying conflicting transactions: that is not what this measures).
--
--   BENCH_BODY     the file holding the body
--   BENCH_TENANTS  the tenant ids, one a line
--   BENCH_THREADS  wrk's -t

local function need(name)
    local value = os.getenv(name)
    assert(value and value ~= "", "post_json_cycle.lua: set " .. name)
    return value
end

local f = assert(io.open(need("BENCH_BODY"), "rb"))
local body = f:read("*a")
f:close()
local tenants_path = need("BENCH_TENANTS")
local nthreads = assert(tonumber(need("BENCH_THREADS")), "post_json_cycle.lua: BENCH_THREADS is not a number")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local counter = 0
function setup(thread)
    thread:set("tid", counter)
    counter = counter + 1
end

local ids, prefix, suffix, n

function init(args)
    ids = {}
    for line in io.lines(tenants_path) do
        ids[#ids + 1] = line
    end
    local at = assert(wrk.path:find("_TENANT_", 1, true), "post_json_cycle.lua: the URL has no _TENANT_")
    prefix, suffix = wrk.path:sub(1, at - 1), wrk.path:sub(at + #"_TENANT_")
    n = 0
end

function request()
    local i = (tid + nthreads * n) % #ids
    n = n + 1
    return wrk.format(nil, prefix .. ids[i + 1] .. suffix, nil, body)
end
