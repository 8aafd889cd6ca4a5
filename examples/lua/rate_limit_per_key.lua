-- rate_limit_per_key.lua: at most LIMIT requests per WINDOW seconds per API key (the
-- X-Api-Key header), or per client IP for requests without a key. Counts live in the shared
-- dict "ratelimit", so every worker enforces one limit. Over the limit: 429 with Retry-After.
--
-- The window slides: the previous window's count weighs in proportion to how much of it still
-- overlaps the last WINDOW seconds (the approximation Cloudflare and Kong use), which avoids
-- letting 2 x LIMIT through around a window edge.
--
-- lua: { shared_dicts: { ratelimit: 10m } }

local LIMIT = 100
local WINDOW = 1 -- seconds

local dict = tg.shared.ratelimit
assert(dict, "rate_limit_per_key.lua needs a shared dict named 'ratelimit'")

local floor = math.floor

local M = {}

function M.on_request(req)
  local key = req:header("x-api-key")
  local prefix = "k:"
  if key == nil or key == "" then
    key = req:client_ip()
    prefix = "ip:"
  end
  local now = tg.now()
  local window = floor(now / WINDOW)
  local base = prefix .. key .. ":"
  local current, err = dict:incr(base .. window, 1, 0, 2 * WINDOW)
  if not current then
    tg.log.warn("rate limit not applied: ", err) -- fail open
    return
  end
  local previous = dict:get(base .. (window - 1)) or 0
  local elapsed = now / WINDOW - window -- fraction of the current window gone
  local estimate = previous * (1 - elapsed) + current
  if estimate > LIMIT then
    return tg.respond(429, "rate limit exceeded\n", {
      ["Retry-After"] = tostring(WINDOW),
      ["X-RateLimit-Limit"] = tostring(LIMIT),
    })
  end
end

return M
