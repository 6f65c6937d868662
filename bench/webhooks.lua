-- webhooks.lua: wrk script for bench/release_builds.py. POSTs signed CircleCI
-- workflow-completed deliveries to the webhook URL given to wrk: thread t of n
-- takes deliveries t, t+n, t+2n, ... and sends its share twice, the second
-- pass all duplicates, and then again and again (all duplicates) until wrk's
-- time is up: bench/release_builds.py times when the last one is applied.
--
--   BENCH_HOOKS    the deliveries, one a line: the circleci-signature header, a tab, the raw body
--   BENCH_THREADS  wrk's -t

local function need(name)
    local value = os.getenv(name)
    assert(value and value ~= "", "webhooks.lua: set " .. name)
    return value
end

local hooks_path = need("BENCH_HOOKS")
local nthreads = assert(tonumber(need("BENCH_THREADS")), "webhooks.lua: BENCH_THREADS is not a number")

local counter = 0
function setup(thread)
    thread:set("tid", counter)
    counter = counter + 1
end

local mine, sent

function init(args)
    local all = {}
    for line in io.lines(hooks_path) do
        local tab = line:find("\t", 1, true)
        all[#all + 1] = {line:sub(1, tab - 1), line:sub(tab + 1)}
    end
    mine = {}
    for i = tid + 1, #all, nthreads do
        mine[#mine + 1] = all[i]
    end
    local once = #mine
    for i = 1, once do
        mine[once + i] = mine[i]
    end
    sent = 0
end

function request()
    sent = sent + 1
    local hook = mine[((sent - 1) % #mine) + 1]
    return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["circleci-signature"] = hook[1],
                                    ["Circleci-Event-Type"] = "workflow-completed"}, hook[2])
end
