-- step: AWS EC2 Auto Scaling step scaling as a Lua policy, with the same decisions as the
-- built-in `step`. Parameters from ctx.params, e.g. (the AWS user guide's example):
--
--   params:
--     metric: host_cpu
--     adjustment_type: PercentChangeInCapacity   # or ChangeInCapacity, ExactCapacity
--     scale_out: { threshold: 0.5, steps: [ { lower: 0, upper: 0.1, adjustment: 0 },
--                                           { lower: 0.1, upper: 0.2, adjustment: 10 },
--                                           { lower: 0.2, adjustment: 30 } ] }
--     scale_in:  { threshold: 0.5, steps: [ { lower: -0.1, upper: 0, adjustment: 0 },
--                                           { lower: -0.2, upper: -0.1, adjustment: -10 },
--                                           { upper: -0.2, adjustment: -30 } ] }

local EPS = 1e-9
local function trunc_count(x)
  if x < 0 then return -math.floor(-x + EPS) end
  return math.floor(x + EPS)
end

local function seconds(v, default)
  if v == nil then return default end
  if type(v) == "number" then return v end
  local n, unit = string.match(v, "^([%d%.]+)(%a+)$")
  local scale = ({ ms = 0.001, s = 1, m = 60, h = 3600 })[unit]
  assert(n and scale, "bad duration: " .. tostring(v))
  return tonumber(n) * scale
end

local function breached(alarm, v, out)
  if alarm == nil then return false end
  local strict = alarm.comparison == ">" or alarm.comparison == "<"
  if out then return strict and v > alarm.threshold or (not strict and v >= alarm.threshold) end
  return strict and v < alarm.threshold or (not strict and v <= alarm.threshold)
end

-- Above the threshold the lower bound is inclusive, below it the upper bound is.
local function find_step(alarm, diff, out)
  for _, s in ipairs(alarm.steps) do
    local lower, upper = s.lower or -math.huge, s.upper or math.huge
    if out and diff >= lower and diff < upper then return s end
    if not out and diff > lower and diff <= upper then return s end
  end
  return nil
end

local function apply(p, current, adjustment)
  local kind = p.adjustment_type or "ChangeInCapacity"
  if kind == "ExactCapacity" then return trunc_count(adjustment) end
  if kind == "ChangeInCapacity" then return current + trunc_count(adjustment) end
  -- PercentChangeInCapacity: towards zero, but a fraction of one instance still moves one.
  local raw = current * adjustment / 100
  local change
  if raw > 0 and raw < 1 then change = 1
  elseif raw < 0 and raw > -1 then change = -1
  else change = trunc_count(raw) end
  local mam = p.min_adjustment_magnitude or 0
  if change ~= 0 and math.abs(change) < mam then change = change > 0 and mam or -mam end
  return current + change
end

return function(ctx)
  local p = ctx.params
  local window = math.max(1, math.floor(seconds(p.window, 60) + 0.5))
  local v = ctx:metric(p.metric, p.agg or "avg", window)
  if v == nil then error("step: no data for " .. tostring(p.metric)) end
  local alarm, out = nil, false
  if breached(p.scale_out, v, true) then
    alarm, out = p.scale_out, true  -- both breached (overlapping thresholds): out wins
  elseif breached(p.scale_in, v, false) then
    alarm = p.scale_in
  end
  if alarm == nil then return ctx.replicas, p.metric .. ": no alarm" end
  if ctx.since_last_scale < seconds(p.cooldown, 0) then
    return ctx.replicas, p.metric .. ": alarm, but in cooldown"
  end
  local step = find_step(alarm, v - alarm.threshold, out)
  if step == nil then return ctx.replicas, p.metric .. ": no step covers it" end
  local desired = apply(p, ctx.replicas, step.adjustment)
  return desired, string.format("%s %g: step %g -> %d", p.metric, v, step.adjustment, desired)
end
