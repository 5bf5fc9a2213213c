-- wrk script: POST exactly N single messages to the Twilio-compatible create
-- (POST /2010-04-01/Accounts/SID/Messages.json, form-encoded, Basic auth of an app
-- account; docs/compat.md), each to its own number +4474NNNNNNNN, then stop.
--   wrk -t T -c C -d MAXSEC -s twilio.lua URL -- N T SID BASIC DONE_DIR [EXTRA]
-- BASIC is base64("SID:TOKEN"); EXTRA (optional) is appended to each form, e.g.
-- "&SendAt=...&ScheduleType=fixed" (scripts/profile.sh MODE=accept). As submit.lua otherwise (same BENCH lines).
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
   local sid, basic = args[3], args[4]
   done_dir, extra = args[5], args[6] or ""
   first, share = common.share(total, nthreads, tid)
   sent, ok, bad, units, t_first, t_last, finished = 0, 0, 0, 0, 0, 0, false
   fillers, n404 = 0, 0
   dry = (tid == 1) and 1 or 0
   filler = wrk.format("GET", "/__none__")
   path = "/2010-04-01/Accounts/" .. sid .. "/Messages.json"
   hdrs = {["Content-Type"] = "application/x-www-form-urlencoded", ["Authorization"] = "Basic " .. basic}
   if share == 0 then finished = true; common.touch_done(done_dir, tid) end
end

function request()
   if dry > 0 then dry = dry - 1; return filler end
   if sent >= share then fillers = fillers + 1; return filler end
   if sent == 0 then t_first = common.now() end
   local n = string.format("%08d", first + sent)
   sent = sent + 1
   return wrk.format("POST", path, hdrs,
                     "To=%2B4474" .. n .. "&Body=Bench%20message%20%2B4474" .. n .. extra)
end

function response(status, headers, body)
   common.count_answer(status, body, status == 201, 1, share)
end

function done(summary, latency, requests)
   common.report(threads, summary, latency)
end
