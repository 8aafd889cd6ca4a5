-- canary.lua: send PERCENT percent of clients to the "canary" upstream pool. A client is an
-- API key (X-Api-Key) or, without one, an IP address; the choice is sticky because it is a hash
-- of the client, not a coin toss per request. The header X-Canary: always / never overrides.
--
-- upstreams: { api: {...}, canary: {...} }

local PERCENT = 5
local CANARY = "canary"

local byte, bxor, tobit = string.byte, bit.bxor, bit.tobit

-- djb2 (xor form) on 32 bits; every step stays exact in a double. `%` is never negative.
local function bucket(s)
  local h = 5381
  for i = 1, #s do
    h = tobit(bxor(h * 33, byte(s, i)))
  end
  return h % 100
end

local warned = false

local function to_canary(req)
  local ok, err = req:set_upstream(CANARY)
  if not ok and not warned then
    tg.log.warn("canary.lua: ", err)
    warned = true
  end
end

local M = {}

function M.on_request(req)
  local forced = req:header("x-canary")
  if forced == "always" then
    return to_canary(req)
  elseif forced == "never" then
    return
  end
  local client = req:header("x-api-key") or req:client_ip()
  if bucket(client) < PERCENT then
    to_canary(req)
  end
end

M.bucket = bucket -- for tests

return M
