-- target_tracking: the Kubernetes HorizontalPodAutoscaler (autoscaling/v2) as a Lua policy.
-- Gives the same decisions as the built-in `target_tracking` (tests/scale/policy_equivalence_test.cc
-- runs both on the same cases). Parameters come from ctx.params, as for the built-in:
--
--   policy:
--     file: examples/lua/policies/target_tracking.lua
--     params:
--       metrics: [ { name: cpu, type: utilization, target: 0.6 } ]
--       tolerance: 0.1
--       behavior: { scale_down: { stabilization_window: 300s } }

local EPS = 1e-9
local function ceil_count(x) return math.ceil(x - EPS) end
local function floor_count(x) return math.floor(x + EPS) end

-- A number of seconds, or a duration string such as "300s", "5m", "250ms".
local function seconds(v, default)
  if v == nil then return default end
  if type(v) == "number" then return v end
  local n, unit = string.match(v, "^([%d%.]+)(%a+)$")
  local scale = ({ ms = 0.001, s = 1, m = 60, h = 3600 })[unit]
  assert(n and scale, "bad duration: " .. tostring(v))
  return tonumber(n) * scale
end

local function window_of(v)
  return math.max(1, math.floor(seconds(v, 30) + 0.5))
end

-- autoscaling/v2 defaults: up at once by 100% or 4 pods per 15 s (the larger), down after 300 s
-- of lower recommendations by up to 100% per 15 s.
local function rules(r, up)
  r = r or {}
  local out = {
    stabilization = seconds(r.stabilization_window, up and 0 or 300),
    select = r.select_policy or "Max",
    policies = {},
  }
  if r.policies == nil then
    out.policies[1] = { percent = true, value = 100, period = 15 }
    if up then out.policies[2] = { percent = false, value = 4, period = 15 } end
  else
    for i, p in ipairs(r.policies) do
      out.policies[i] = { percent = p.type == "Percent", value = p.value or 1,
                          period = seconds(p.period, 15) }
    end
  end
  return out
end

-- One metric compared to a target: value (pool level), average_value (pool total per replica).
local function from_value(ctx, m, tolerance, inputs)
  local v = ctx:metric(m.name, m.agg or "avg", window_of(m.window))
  if v == nil then return nil end
  inputs[m.name] = v
  local current = ctx.replicas
  if m.type == "average_value" then
    local ratio = current > 0 and v / (m.target * current) or 2
    if current > 0 and math.abs(1 - ratio) <= tolerance then return current end
    return ceil_count(v / m.target)
  end
  local ratio = v / m.target
  if current == 0 then return ceil_count(ratio) end
  if math.abs(1 - ratio) <= tolerance then return current end
  return ceil_count(ratio * ctx.ready)
end

-- The HPA replica calculator for per-instance metrics: missing instances count as at target
-- on a scale-down and idle on a scale-up, not-ready ones as idle on a scale-up; the direction
-- must not flip.
local function from_instances(ctx, m, tolerance, inputs)
  local current = ctx.replicas
  local values, unready, missing = {}, 0, 0
  for _, inst in ipairs(ctx:instances(m.name, m.agg or "avg", window_of(m.window))) do
    if inst.value == nil then missing = missing + 1
    elseif not inst.ready then unready = unready + 1
    else values[#values + 1] = inst.value end
  end
  if #values == 0 then return nil end
  local function ratio_of(vs)
    local sum = 0
    for _, v in ipairs(vs) do sum = sum + v end
    return (sum / #vs) / m.target
  end
  local ratio = ratio_of(values)
  inputs[m.name] = ratio * m.target
  local up_with_unready = unready > 0 and ratio > 1
  if not up_with_unready and missing == 0 then
    if math.abs(1 - ratio) <= tolerance then return current end
    return ceil_count(ratio * #values)
  end
  local adjusted = {}
  for i, v in ipairs(values) do adjusted[i] = v end
  if missing > 0 and ratio ~= 1 then
    for _ = 1, missing do adjusted[#adjusted + 1] = ratio < 1 and m.target or 0 end
  end
  if up_with_unready then
    for _ = 1, unready do adjusted[#adjusted + 1] = 0 end
  end
  local new_ratio = ratio_of(adjusted)
  if math.abs(1 - new_ratio) <= tolerance or (ratio < 1 and new_ratio > 1)
      or (ratio > 1 and new_ratio < 1) then
    return current
  end
  local proposed = ceil_count(new_ratio * #adjusted)
  if (new_ratio < 1 and proposed > current) or (new_ratio > 1 and proposed < current) then
    return current
  end
  return proposed
end

-- Replicas added (up) or removed (down) by scale actions younger than `period`.
local function change_within(events, period, up)
  local sum = 0
  for _, e in ipairs(events) do
    if e.age < period then
      local change = e.to - e.from
      if up and change > 0 then sum = sum + change end
      if not up and change < 0 then sum = sum - change end
    end
  end
  return sum
end

local function limit(current, events, r, up)
  if r.select == "Disabled" then return current end
  local pick_min = (r.select == "Min") == up  -- up+Min and down+Max take the smaller limit
  local result = nil
  for _, p in ipairs(r.policies) do
    local start = current - change_within(events, p.period, true)
        + change_within(events, p.period, false)
    local proposed
    if up then
      proposed = p.percent and ceil_count(start * (1 + p.value / 100)) or start + p.value
    else
      proposed = p.percent and floor_count(start * (1 - p.value / 100)) or start - p.value
    end
    if result == nil then result = proposed
    elseif pick_min then result = math.min(result, proposed)
    else result = math.max(result, proposed) end
  end
  return result
end

return function(ctx)
  local p = ctx.params
  local tolerance = p.tolerance or 0.1
  local behavior = p.behavior or {}
  local up_rules, down_rules = rules(behavior.scale_up, true), rules(behavior.scale_down, false)
  local current = ctx.replicas
  local inputs = {}

  local proposal, invalid, first_missing = nil, 0, nil
  for _, m in ipairs(p.metrics or {}) do
    local proposed
    if m.type == "utilization" then
      proposed = from_instances(ctx, m, tolerance, inputs)
    else
      proposed = from_value(ctx, m, tolerance, inputs)
    end
    if proposed == nil then
      invalid = invalid + 1
      first_missing = first_missing or m.name
    elseif proposal == nil or proposed > proposal then
      proposal = proposed
    end
  end
  if proposal == nil then error("target_tracking: no data for " .. tostring(first_missing)) end
  if invalid > 0 and proposal < current then
    error("target_tracking: no data for " .. first_missing .. " (not scaling down on partial metrics)")
  end

  -- Stabilization: the lowest recommendation of the up window, the highest of the down window.
  local up_rec, down_rec = proposal, proposal
  for _, d in ipairs(ctx.decisions) do
    if d.age < up_rules.stabilization then up_rec = math.min(up_rec, d.recommendation) end
    if d.age < down_rules.stabilization then down_rec = math.max(down_rec, d.recommendation) end
  end
  local stabilized = math.min(math.max(current, up_rec), down_rec)

  -- Rate policies, then [min, max].
  local desired = stabilized
  if stabilized > current then
    local allowed = math.min(ctx.max, math.max(current, limit(current, ctx.scale_events, up_rules, true)))
    desired = math.min(desired, allowed)
  elseif stabilized < current then
    local allowed = math.max(ctx.min, math.min(current, limit(current, ctx.scale_events, down_rules, false)))
    desired = math.max(desired, allowed)
  end
  desired = math.max(ctx.min, math.min(desired, math.max(ctx.min, ctx.max)))
  return {
    desired = desired,
    recommendation = proposal,
    reason = string.format("proposal %d, stabilized %d, desired %d", proposal, stabilized, desired),
    inputs = inputs,
  }
end
