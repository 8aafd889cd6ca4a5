#include "proxy/lua_request.h"

#include "http/method.h"
#include "proxy/snapshot.h"

namespace tidegate::proxy {

void LuaRequest::begin(http::RequestHead& req, EditArena& arena, std::string_view client_ip,
                       std::string_view route, const Snapshot& snapshot) {
  req_ = &req;
  arena_ = &arena;
  snapshot_ = &snapshot;
  client_ip_ = client_ip;
  route_ = route;
  pool_override_ = -1;
  responded_ = false;
  respond_status_ = 0;
  respond_body_.clear();
  respond_headers_.clear();
}

void LuaRequest::setMethod(std::string_view method) {
  req_->method_text = arena_->copy(method);
  req_->method = http::methodFromToken(req_->method_text);
}

void LuaRequest::setPath(std::string_view path) {
  req_->path = arena_->copy(path);
  retarget();
}

void LuaRequest::setQuery(std::string_view query) {
  req_->query = arena_->copy(query);
  retarget();
}

void LuaRequest::retarget() {
  if (req_->target_form == http::TargetForm::kAbsolute) return;  // written from path and query
  req_->target_form = http::TargetForm::kOrigin;
  if (req_->query.empty()) {
    req_->target = req_->path;
    return;
  }
  // path "?" query, contiguous in the arena.
  std::string_view path = arena_->copy(req_->path);
  std::string_view rest = arena_->copy("?");
  std::string_view query = arena_->copy(req_->query);
  if (rest.data() == path.data() + path.size() && query.data() == rest.data() + 1) {
    req_->target = {path.data(), path.size() + 1 + query.size()};
    return;
  }
  // The copies straddled two arena blocks: build the target in one piece.
  std::string joined;
  joined.reserve(path.size() + 1 + query.size());
  joined.append(req_->path).append("?").append(req_->query);
  req_->target = arena_->copy(joined);
}

std::optional<std::string_view> LuaRequest::header(std::string_view name) const {
  const http::Header* h = req_->headers.findAnyCase(name);
  if (!h) return std::nullopt;
  return h->value;
}

void LuaRequest::setHeader(std::string_view name, std::string_view value) {
  req_->headers.removeAll(name);
  req_->headers.push(arena_->copy(name), arena_->copy(value));
}

void LuaRequest::removeHeader(std::string_view name) {
  req_->headers.removeAll(name);
}

bool LuaRequest::setUpstream(std::string_view pool) {
  int index = snapshot_->poolIndex(pool);
  if (index < 0) return false;
  pool_override_ = index;
  return true;
}

void LuaRequest::respond(int status, std::string_view body, const lua::HeaderRef* headers,
                         size_t header_count) {
  responded_ = true;
  respond_status_ = status;
  respond_body_.assign(body);
  for (size_t i = 0; i < header_count; ++i)
    respond_headers_.push_back({arena_->copy(headers[i].name), arena_->copy(headers[i].value)});
}

}  // namespace tidegate::proxy
