-- tidegate_least_loaded_limit.lua: the route script of bench/run.sh --lua, the tidegate side of
-- bench/lua/nginx.conf.in. A per-client-IP sliding-window limit (rate_limit_per_key.lua's,
-- keyed by IP only), then the backend with the fewest requests in flight, ties to the lower
-- EWMA latency (examples/lua/least_loaded.lua). The limit is set high so that nothing is
-- rejected; bench/run.sh --lua-limit N rewrites the LIMIT line to try a low one.
--
-- lua: { shared_dicts: { limits: 1MiB } }

local LIMIT = 1000000000 -- requests per WINDOW per client IP
local WINDOW = 1 -- seconds

local dict = tg.shared.limits
assert(dict, "tidegate_least_loaded_limit.lua needs a shared dict named 'limits'")

local floor = math.floor
local tostring = tostring

local M = {}

function M.on_request(req)
  local now = tg.now()
  local window = floor(now / WINDOW)
  local base = "ip:" .. req:client_ip() .. ":"
  local current, err = dict:incr(base .. window, 1, 0, 2 * WINDOW)
  if not current then
    tg.log.warn("rate limit not applied: ", err) -- fail open
    return
  end
  local previous = dict:get(base .. (window - 1)) or 0
  local elapsed = now / WINDOW - window -- fraction of the current window gone
  if previous * (1 - elapsed) + current > LIMIT then
    return tg.respond(429, "rate limit exceeded\n", {
      ["Retry-After"] = tostring(WINDOW),
      ["X-RateLimit-Limit"] = tostring(LIMIT),
    })
  end
end

-- examples/lua/least_loaded.lua: `inflight` once per backend (each field read crosses into
-- C), `healthy` and `ewma_ms` only for backends that could win.
function M.balance(req, backends)
  local best, best_inflight, best_ewma
  for i = 1, #backends do
    local b = backends[i]
    local inflight = b.inflight
    if (best == nil or inflight <= best_inflight) and b.healthy then
      if best == nil or inflight < best_inflight then
        best, best_inflight, best_ewma = b, inflight, nil
      else -- a tie: the lower latency wins
        best_ewma = best_ewma or best.ewma_ms
        local ewma = b.ewma_ms
        if ewma < best_ewma then
          best, best_ewma = b, ewma
        end
      end
    end
  end
  return best
end

return M
