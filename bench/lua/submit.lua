-- wrk script: POST exactly N single messages to /v1/messages (JSON, each to its own
-- number +4474NNNNNNNN), then stop.
--   wrk -t T -c C -d MAXSEC -s submit.lua URL -- N T KEY DONE_DIR [EXTRA_JSON]
-- EXTRA_JSON is appended inside each body (e.g. ',"provider":"x"'). Each thread
-- touches DONE_DIR/done.<tid> once its share is answered; connections then send
-- GET /__none__ (404, creates nothing) until the caller stops wrk.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local threads, seen = {}, 0

function setup(thread)
   seen = seen + 1
   thread:set("tid", seen)
   table.insert(threads, thread)
end

function init(args)
   local total, nthreads = tonumber(args[1]), tonumber(args[2])
   local key = args[3]
   done_dir, extra = args[4], args[5] or ""
   first, share = common.share(total, nthreads, tid)
   sent, ok, bad, units, t_first, t_last, finished = 0, 0, 0, 0, 0, 0, false
   fillers, n404 = 0, 0
   dry = (tid == 1) and 1 or 0  -- wrk builds one request on thread 1 to check the script
   filler = wrk.format("GET", "/__none__")
   hdrs = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}
   if share == 0 then finished = true; common.touch_done(done_dir, tid) end
end

function request()
   if dry > 0 then dry = dry - 1; return filler end
   if sent >= share then fillers = fillers + 1; return filler end
   if sent == 0 then t_first = common.now() end
   local to = string.format("+4474%08d", first + sent)
   sent = sent + 1
   return wrk.format("POST", "/v1/messages", hdrs,
                     string.format('{"to":"%s","body":"Bench message %s"%s}', to, to, extra))
end

function response(status, headers, body)
   common.count_answer(status, body, status == 202, 1, share)
end

function done(summary, latency, requests)
   common.report(threads, summary, latency)
end
