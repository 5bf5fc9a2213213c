-- Shared by the bench wrk scripts (loaded with dofile): a wall clock, the quota
-- of each wrk thread, the done file and the BENCH summary lines.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long s; long ns; } sg_bench_ts;
int clock_gettime(int clk, sg_bench_ts *ts);
]]
local M = {}

function M.now()  -- CLOCK_REALTIME, comparable with nginx's $msec
   local t = ffi.new("sg_bench_ts")
   ffi.C.clock_gettime(0, t)
   return tonumber(t.s) + tonumber(t.ns) / 1e9
end

-- thread tid (1-based) of nthreads gets count items starting at first (0-based)
function M.share(total, nthreads, tid)
   local base, rem = math.floor(total / nthreads), total % nthreads
   local count = base + ((tid <= rem) and 1 or 0)
   local first = (tid - 1) * base + math.min(tid - 1, rem)
   return first, count
end

function M.touch_done(dir, tid)
   local f = io.open(dir .. "/done." .. tid, "w")
   if f then f:write("done\n"); f:close() end
end

-- The shared part of each script's response(): count one answer (the 404s of
-- filler requests aside) as ok with n_units messages, or as bad; once `needed`
-- answers are in, note the time, write the done file and stop the thread. It
-- uses the calling script's globals (ok, bad, units, fillers, n404, finished,
-- t_last, done_dir, tid).
function M.count_answer(status, body, good, n_units, needed)
   if status == 404 and fillers > n404 then n404 = n404 + 1; return end  -- a filler's answer
   if good then
      ok = ok + 1; units = units + n_units
   else
      bad = bad + 1
      if bad <= 3 then io.stderr:write("bench: HTTP " .. status .. " " .. tostring(body) .. "\n") end
   end
   if not finished and ok + bad >= needed then
      finished = true
      t_last = M.now()
      M.touch_done(done_dir, tid)
      wrk.thread:stop()
   end
end

-- threads: the list setup() collected; each thread keeps ok, bad, units,
-- t_first, t_last
function M.report(threads, summary, latency)
   local ok, bad, units, first, last = 0, 0, 0, math.huge, 0
   for _, t in ipairs(threads) do
      ok = ok + (t:get("ok") or 0)
      bad = bad + (t:get("bad") or 0)
      units = units + (t:get("units") or 0)
      local f, l = t:get("t_first") or 0, t:get("t_last") or 0
      if f > 0 and f < first then first = f end
      if l > last then last = l end
   end
   if first == math.huge then first = 0 end
   local e = summary.errors
   io.write(string.format("BENCH accepted=%d rejected=%d requests=%d t_first=%.6f t_last=%.6f\n",
                          units, bad, ok + bad, first, last))
   io.write(string.format("BENCH p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
                          latency:percentile(50) / 1000, latency:percentile(90) / 1000,
                          latency:percentile(99) / 1000, latency.max / 1000))
   io.write(string.format("BENCH sock_connect=%d sock_read=%d sock_write=%d sock_timeout=%d\n",
                          e.connect, e.read, e.write, e.timeout))
end

return M
