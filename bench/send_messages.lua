-- wrk script: POST exactly N JSON messages to smsgate's /v1/messages, each to a
-- different number, then stop.
--   wrk -t T -c C -d MAXSEC -s send_messages.lua URL -- N T KEY DONE_DIR [EXTRA_JSON]
-- Each thread writes DONE_DIR/done.<tid> once its share is answered, so the caller
-- can stop wrk. After that, connections send GET /__none__ (404, creates nothing).
-- Numbers: +4474 + thread (2 digits) + sequence (6 digits): valid UK mobiles.

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long s; long ns; } sg_ts;
int clock_gettime(int clk, sg_ts *ts);
]]
local function now()
   local t = ffi.new("sg_ts")
   ffi.C.clock_gettime(0, t)
   return tonumber(t.s) + tonumber(t.ns) / 1e9
end

local all = {}
local n_threads_seen = 0

function setup(thread)
   n_threads_seen = n_threads_seen + 1
   thread:set("tid", n_threads_seen)
   table.insert(all, thread)
end

function init(args)
   local total = tonumber(args[1])
   local nthreads = tonumber(args[2])
   key = args[3]
   done_dir = args[4]
   extra = args[5] or ""
   share = math.floor(total / nthreads) + ((tid <= total % nthreads) and 1 or 0)
   sent, ok, bad, other = 0, 0, 0, 0
   t_first, t_last = 0, 0
   finished = false
   -- wrk builds one request on thread 1 to check the script; it is never sent.
   dry = (tid == 1) and 1 or 0
   filler = wrk.format("GET", "/__none__")
   hdrs = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}
end

function request()
   if dry > 0 then
      dry = dry - 1
      return filler
   end
   if sent >= share then
      return filler
   end
   if sent == 0 then t_first = now() end
   sent = sent + 1
   local to = string.format("+4474%02d%06d", tid, sent)
   local body = string.format('{"to":"%s","body":"Bench message %s"%s}', to, to, extra)
   return wrk.format("POST", "/v1/messages", hdrs, body)
end

function response(status, headers, body)
   if status == 202 then
      ok = ok + 1
   elseif status == 404 then
      other = other + 1
   else
      bad = bad + 1
      if bad <= 3 then io.stderr:write("bench: HTTP " .. status .. " " .. tostring(body) .. "\n") end
   end
   if not finished and ok + bad >= share then
      finished = true
      t_last = now()
      local f = io.open(done_dir .. "/done." .. tid, "w")
      if f then f:write("done\n"); f:close() end
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local acc, rej, first, last = 0, 0, math.huge, 0
   for _, t in ipairs(all) do
      acc = acc + (t:get("ok") or 0)
      rej = rej + (t:get("bad") or 0)
      local f, l = t:get("t_first") or 0, t:get("t_last") or 0
      if f > 0 and f < first then first = f end
      if l > last then last = l end
   end
   io.write(string.format("BENCH accepted=%d rejected=%d t_first=%.6f t_last=%.6f\n",
                          acc, rej, first, last))
   io.write(string.format("BENCH p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
                          latency:percentile(50) / 1000, latency:percentile(99) / 1000,
                          latency.max / 1000))
end
