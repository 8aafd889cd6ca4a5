-- cache_get.lua: serve repeated GETs from the shared dict "cache" for TTL seconds, keyed by
-- path and query. A miss goes to the backend; a 200 response that allows caching is copied as
-- it streams to the client (resp:keep_body) and stored after it completed (on_log).
-- Responses are marked X-Cache: HIT or MISS.
--
-- Not cached: non-GET requests, requests with Authorization or Cookie, responses that are not
-- 200, that set cookies, say Cache-Control no-store/private, or are larger than MAX_BODY.
--
-- lua: { shared_dicts: { cache: 64m } }

local TTL = 10 -- seconds
local MAX_BODY = 256 * 1024

local cache = tg.shared.cache
assert(cache, "cache_get.lua needs a shared dict named 'cache'")

local find, sub = string.find, string.sub

local M = {}

function M.on_request(req)
  if req:method() ~= "GET" or req:header("authorization") or req:header("cookie") then
    return
  end
  local key = req:path()
  local query = req:query()
  if query ~= "" then
    key = key .. "?" .. query
  end
  -- One entry per URL: "<content-type>\n<body>" (a content type never holds a newline).
  local entry = cache:get(key)
  if entry then
    local nl = find(entry, "\n", 1, true)
    return tg.respond(200, sub(entry, nl + 1), {
      ["Content-Type"] = sub(entry, 1, nl - 1),
      ["X-Cache"] = "HIT",
    })
  end
  tg.var.cache_key = key
end

function M.on_response(req, resp)
  local key = tg.var.cache_key
  if key == nil then
    return
  end
  resp:set_header("X-Cache", "MISS")
  local cc = resp:header("cache-control") or ""
  if resp:status() ~= 200 or resp:header("set-cookie") or find(cc, "no-store", 1, true)
      or find(cc, "private", 1, true) then
    tg.var.cache_key = nil
    return
  end
  if resp:keep_body(MAX_BODY) then
    tg.var.cache_type = resp:header("content-type") or "application/octet-stream"
  else
    tg.var.cache_key = nil
  end
end

function M.on_log(req, resp)
  local key = tg.var.cache_key
  if key == nil then
    return
  end
  local body = resp:body() -- nil when larger than MAX_BODY or cut short
  if body then
    local ok, err = cache:set(key, tg.var.cache_type .. "\n" .. body, TTL)
    if not ok then
      tg.log.warn("cache_get: not stored: ", err)
    end
  end
end

return M
