-- wrk script: POST exactly N messages through /v1/messages/batch, B per request
-- (each to its own number +4474NNNNNNNN), then stop.
--   wrk -t T -c C -d MAXSEC -s batch.lua URL -- N T KEY DONE_DIR B
-- "accepted" counts the messages listed as accepted in the 202 answers; a
-- non-202 answer counts as one rejected request. Done files and fillers as in
-- submit.lua.
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
   done_dir, bsize = args[4], tonumber(args[5]) or 100
   first, share = common.share(total, nthreads, tid)
   nreq = math.ceil(share / bsize)
   sent, issued, ok, bad, units, t_first, t_last, finished = 0, 0, 0, 0, 0, 0, 0, false
   fillers, n404 = 0, 0
   dry = (tid == 1) and 1 or 0
   filler = wrk.format("GET", "/__none__")
   hdrs = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}
   if share == 0 then finished = true; common.touch_done(done_dir, tid) end
end

function request()
   if dry > 0 then dry = dry - 1; return filler end
   if sent >= share then fillers = fillers + 1; return filler end
   if sent == 0 then t_first = common.now() end
   local k = math.min(bsize, share - sent)
   local parts = {}
   for i = 1, k do
      local to = string.format("+4474%08d", first + sent + i - 1)
      parts[i] = string.format('{"to":"%s","body":"Bench message %s"}', to, to)
   end
   sent = sent + k
   issued = issued + 1
   return wrk.format("POST", "/v1/messages/batch", hdrs,
                     '{"messages":[' .. table.concat(parts, ",") .. ']}')
end

-- Most connections run out of batches long before the last answers arrive:
-- let them idle (a filler a second) instead of loading smsgate with 404s.
function delay()
   return (sent >= share) and 1000 or 0
end

function response(status, headers, body)
   local n = 0
   if status == 202 then
      n = select(2, string.gsub(body, '"id"%s*:%s*"msg_', ""))
   end
   common.count_answer(status, body, status == 202, n, nreq)
end

function done(summary, latency, requests)
   common.report(threads, summary, latency)
end
