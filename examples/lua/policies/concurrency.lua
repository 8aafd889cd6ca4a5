-- concurrency: the Knative Pod Autoscaler (KPA) as a Lua policy, with the same decisions as the
-- built-in `concurrency`: size the pool for the in-flight requests of a 60 s stable window, but
-- follow a 6 s panic window when it asks for twice the ready instances, and never shrink while
-- panicking (panic ends a stable window after the last overload). ctx.state keeps the panic.
--
--   params: { target: 10, target_utilization: 0.7, stable_window: 60s, panic_window: 6s }

local EPS = 1e-9
local function ceil_count(x) return math.ceil(x - EPS) end
local function floor_count(x) return math.floor(x + EPS) end

local function seconds(v, default)
  if v == nil then return default end
  if type(v) == "number" then return v end
  local n, unit = string.match(v, "^([%d%.]+)(%a+)$")
  local scale = ({ ms = 0.001, s = 1, m = 60, h = 3600 })[unit]
  assert(n and scale, "bad duration: " .. tostring(v))
  return tonumber(n) * scale
end

return function(ctx)
  local p, s = ctx.params, ctx.state
  local metric = p.metric or "inflight"
  local stable_window = seconds(p.stable_window, 60)
  local panic_window = seconds(p.panic_window, 6)
  local stable = ctx:metric(metric, "avg", math.max(1, math.floor(stable_window + 0.5)))
  local panic = ctx:metric(metric, "avg", math.max(1, math.floor(panic_window + 0.5)))
  if stable == nil or panic == nil then error("concurrency: no data for " .. metric) end

  local target = (p.target or 10) * (p.target_utilization or 0.7)
  local ready = math.max(1, ctx.ready)
  local max_up = ceil_count((p.max_scale_up_rate or 1000) * ready)
  local max_down = floor_count(ready / (p.max_scale_down_rate or 2))
  local dspc = ceil_count(stable / target)
  local dppc = ceil_count(panic / target)
  local stable_pods = math.min(math.max(dspc, max_down), max_up)
  local panic_pods = math.min(math.max(dppc, max_down), max_up)

  if dppc / ready >= (p.panic_threshold or 2) then
    s.panic_since = ctx.now  -- start panicking, or extend it
  elseif s.panic_since and s.panic_since + stable_window < ctx.now then
    s.panic_since, s.max_panic_pods = nil, nil
  end

  local desired = stable_pods
  if s.panic_since then
    desired = math.max(desired, panic_pods)
    if desired > (s.max_panic_pods or 0) then
      s.max_panic_pods = desired
    else
      desired = s.max_panic_pods  -- no scale-down while panicking
    end
    return desired, string.format("panic: %s %g over %gs -> %d, holding %d",
                                  metric, panic, panic_window, panic_pods, desired)
  end
  return desired, string.format("stable %s %g / %g -> %d", metric, stable, target, desired)
end
