-- wrk script: POST precomputed Twilio status callbacks, each once, then stop.
--   wrk -t T -c C -d MAXSEC -s callbacks.lua URL -- FILE T PATH DONE_DIR
-- FILE: one callback a line, "<X-Twilio-Signature>\t<form body>" (written by
-- bench/py/sign_callbacks.py); thread tid of T takes lines tid, tid+T, ...
-- "accepted" counts 2xx answers. Done files and fillers as in submit.lua.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local threads, seen = {}, 0

function setup(thread)
   seen = seen + 1
   thread:set("tid", seen)
   table.insert(threads, thread)
end

function init(args)
   local file, nthreads = args[1], tonumber(args[2])
   path, done_dir = args[3], args[4]
   sigs, bodies = {}, {}
   local i = 0
   for line in io.lines(file) do
      if i % nthreads == tid - 1 then
         local sig, body = line:match("^([^\t]+)\t(.*)$")
         table.insert(sigs, sig)
         table.insert(bodies, body)
      end
      i = i + 1
   end
   share = #bodies
   sent, ok, bad, units, t_first, t_last, finished = 0, 0, 0, 0, 0, 0, false
   fillers, n404 = 0, 0
   dry = (tid == 1) and 1 or 0
   filler = wrk.format("GET", "/__none__")
   if share == 0 then finished = true; common.touch_done(done_dir, tid) end
end

function request()
   if dry > 0 then dry = dry - 1; return filler end
   if sent >= share then fillers = fillers + 1; return filler end
   if sent == 0 then t_first = common.now() end
   sent = sent + 1
   return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded",
                                    ["X-Twilio-Signature"] = sigs[sent]}, bodies[sent])
end

function response(status, headers, body)
   common.count_answer(status, body, status >= 200 and status < 300, 1, share)
end

function done(summary, latency, requests)
   common.report(threads, summary, latency)
end
