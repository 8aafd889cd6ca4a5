-- least_loaded.lua: send each request to the healthy backend with the fewest requests in
-- flight (counted across every worker), ties going to the lower latency (EWMA).
-- When no backend is healthy it returns nil and the pool's built-in balancer decides.
--
-- upstreams:
--   api: { backends: [...], balance: least_request }   # the fallback
-- routes:
--   - { match: { path_prefix: "/api/" }, upstream: api, script: examples/lua/least_loaded.lua }

local M = {}

-- Each field read crosses into C (about 40 ns), so the loop reads `inflight` once per backend
-- and the other fields only for backends that could win.
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
