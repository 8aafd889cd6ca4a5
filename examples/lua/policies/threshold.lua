-- threshold: "add N instances when the metric has stayed above `upper` for `duration`, remove
-- N when it has stayed below `lower`" as a Lua policy, with the same decisions as the built-in
-- `threshold`. ctx.state remembers since when the metric has been above or below.
--
--   params: { metric: host_cpu, upper: 0.8, lower: 0.3, duration: 60s, scale_out_by: 1 }

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
  local window = math.max(1, math.floor(seconds(p.window, 60) + 0.5))
  local duration = seconds(p.duration, 60)
  local v = ctx:metric(p.metric, p.agg or "avg", window)
  if v == nil then
    s.above_since, s.below_since = nil, nil
    error("threshold: no data for " .. tostring(p.metric))
  end
  if p.upper and v > p.upper then
    s.below_since = nil
    s.above_since = s.above_since or ctx.now
    local held = ctx.now - s.above_since
    if held >= duration then
      s.above_since = ctx.now  -- the next step needs another full duration above
      return ctx.replicas + (p.scale_out_by or 1),
          string.format("%s %g above %g for %gs", p.metric, v, p.upper, held)
    end
    return ctx.replicas, string.format("%s %g above %g for %gs", p.metric, v, p.upper, held)
  elseif p.lower and v < p.lower then
    s.above_since = nil
    s.below_since = s.below_since or ctx.now
    local held = ctx.now - s.below_since
    if held >= duration then
      s.below_since = ctx.now
      return ctx.replicas - (p.scale_in_by or 1),
          string.format("%s %g below %g for %gs", p.metric, v, p.lower, held)
    end
    return ctx.replicas, string.format("%s %g below %g for %gs", p.metric, v, p.lower, held)
  end
  s.above_since, s.below_since = nil, nil
  return ctx.replicas, string.format("%s %g within bounds", p.metric, v)
end
