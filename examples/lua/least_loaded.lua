-- least_loaded.lua: send each request to the healthy backend with the fewest requests in
-- flight (counted across every worker), ties going to the lower latency (EWMA).
-- When no backend is healthy it returns nil and the pool's built-in balancer decides.
--
-- upstreams:
--   api: { backends: [...], balance: lua }
-- routes:
--   - { match: { path_prefix: "/api/" }, upstream: api, script: examples/lua/least_loaded.lua }

local M = {}

function M.balance(req, backends)
  local best, best_inflight, best_ewma
  for i = 1, #backends do
    local b = backends[i]
    if b.healthy then
      local inflight = b.inflight
      if best == nil or inflight < best_inflight then
        best, best_inflight, best_ewma = b, inflight, nil
      elseif inflight == best_inflight then
        -- Latency is only read on a tie.
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
