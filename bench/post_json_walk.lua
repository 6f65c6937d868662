-- post_json_walk.lua: wrk script for bench/run. POSTs one JSON body to a
-- different tenant on every request (the setup_new case: each save is a
-- tenant's first). The URL given to wrk holds the placeholder _TENANT_,
-- replaced by the next tenant id of a list made before the run.
--
--   BENCH_BODY     the file holding the body
--   BENCH_TENANTS  the tenant ids, one a line (bench/run creates them)
--   BENCH_CURSOR   a file holding the index of the first id not used yet;
--                  each run starts there and moves it on, so the warm-up and
--                  every round get tenants of their own
--   BENCH_THREADS  wrk's -t (the threads share the list: thread t of n
--                  takes ids start+t, start+t+n, ...)
--
-- Should a run use up the list, the requests past the end go to tenants
-- already saved (they become updates) and done() prints
-- "Script errors: N ..." which makes bench/run call the run INVALID.

local function need(name)
    local value = os.getenv(name)
    assert(value and value ~= "", "post_json_walk.lua: set " .. name)
    return value
end

local function slurp(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("*a")
    f:close()
    return s
end

local body = slurp(need("BENCH_BODY"))
local tenants_path, cursor_path = need("BENCH_TENANTS"), need("BENCH_CURSOR")
local nthreads = assert(tonumber(need("BENCH_THREADS")), "post_json_walk.lua: BENCH_THREADS is not a number")
local start = tonumber(slurp(cursor_path):match("%d+")) or 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

-- main state --------------------------------------------------------------

local threads, ntotal = {}, 0
for _ in io.lines(tenants_path) do
    ntotal = ntotal + 1
end

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

function done(summary, latency, requests)
    local most, exhausted = 0, 0
    for _, t in ipairs(threads) do
        most = math.max(most, t:get("count") or 0)
        exhausted = exhausted + (t:get("exhausted") or 0)
    end
    local f = assert(io.open(cursor_path, "w"))
    f:write(tostring(math.min(start + most * nthreads, ntotal)), "\n")
    f:close()
    io.write(string.format("Tenants used: %d to %d of %d\n", start, math.min(start + most * nthreads, ntotal), ntotal))
    if exhausted > 0 then
        io.write(string.format("Script errors: %d (requests past the end of the %d fresh tenants, sent to used ones;"
            .. " raise bench/run --new-tenants)\n", exhausted, ntotal))
    end
end

-- thread states -----------------------------------------------------------

local ids, prefix, suffix

function init(args)
    ids = {}
    for line in io.lines(tenants_path) do
        ids[#ids + 1] = line
    end
    local at = assert(wrk.path:find("_TENANT_", 1, true), "post_json_walk.lua: the URL has no _TENANT_")
    prefix, suffix = wrk.path:sub(1, at - 1), wrk.path:sub(at + #"_TENANT_")
    count, exhausted = 0, 0 -- globals: done() reads them through thread:get
end

function request()
    local i = start + tid + nthreads * count -- 0-based
    count = count + 1
    if i >= #ids then
        exhausted = exhausted + 1
        i = i % #ids
    end
    return wrk.format(nil, prefix .. ids[i + 1] .. suffix, nil, body)
end
