#include "proxy/lua_response.h"

#include "proxy/snapshot.h"

namespace tidegate::proxy {
namespace {

// A kept body larger than this is not held between requests.
constexpr size_t kRetainedBodyCapacity = 256 * 1024;

}  // namespace

void LuaResponse::beginUpstream(http::ResponseHead& resp, EditArena& arena, const Pool& pool,
                                const void* backend) {
  beginLocal(0);
  resp_ = &resp;
  arena_ = &arena;
  pool_ = &pool;
  backend_ = backend;
}

void LuaResponse::beginLocal(int status) {
  resp_ = nullptr;
  arena_ = nullptr;
  pool_ = nullptr;
  backend_ = nullptr;
  local_status_ = status;
  keep_limit_ = 0;
  keep_overflow_ = false;
  body_complete_ = false;
  if (kept_.capacity() > kRetainedBodyCapacity) std::string().swap(kept_);
  kept_.clear();
}

void LuaResponse::setStatus(int status) {
  if (!resp_) {
    local_status_ = status;
    return;
  }
  resp_->status = uint16_t(status);
  resp_->reason = {};  // the standard phrase of the new status
}

std::optional<std::string_view> LuaResponse::header(std::string_view name) const {
  if (!resp_) return std::nullopt;
  const http::Header* h = resp_->headers.findAnyCase(name);
  if (!h) return std::nullopt;
  return h->value;
}

void LuaResponse::setHeader(std::string_view name, std::string_view value) {
  if (!resp_) return;
  resp_->headers.removeAll(name);
  resp_->headers.push(arena_->copy(name), arena_->copy(value));
}

void LuaResponse::removeHeader(std::string_view name) {
  if (!resp_) return;
  resp_->headers.removeAll(name);
}

std::pair<std::shared_ptr<const lua::BackendSet>, int> LuaResponse::backend() const {
  if (!pool_ || !backend_) return {nullptr, -1};
  for (size_t i = 0; i < pool_->backends.size(); ++i)
    if (pool_->backends[i].get() == backend_) return {pool_->lua_backends, int(i)};
  return {nullptr, -1};
}

bool LuaResponse::keepBody(size_t max_bytes) {
  if (!resp_) return false;
  keep_limit_ = max_bytes;
  return true;
}

void LuaResponse::appendBody(std::string_view bytes) {
  if (kept_.size() + bytes.size() > keep_limit_) {
    keep_overflow_ = true;
    return;
  }
  kept_.append(bytes);
}

std::optional<std::string_view> LuaResponse::keptBody() const {
  if (keep_limit_ == 0 || keep_overflow_ || !body_complete_) return std::nullopt;
  return std::string_view(kept_);
}

}  // namespace tidegate::proxy
