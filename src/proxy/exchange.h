#pragma once
// Exchange: the state of one request while it is forwarded — the parsed request and
// response heads, the upstream read buffer and the regenerated head. Pooled per worker
// (ExchangePool), so a request allocates nothing on the heap.

#include <memory>
#include <string_view>
#include <vector>

#include "core/buffer.h"
#include "http/message_head.h"
#include "proxy/edit_arena.h"
#include "proxy/lua_request.h"
#include "proxy/lua_response.h"
#include "upstream/connection_pool.h"

namespace tidegate::proxy {

struct Exchange {
  explicit Exchange(size_t out_capacity) : out(out_capacity) {}

  http::RequestHead req;
  http::ResponseHead resp;
  std::vector<char> out;         // regenerated heads; sized once
  size_t upstream_head_len = 0;  // bytes of `out` holding the upstream request head
  size_t resp_head_len = 0;      // bytes of `upstream_in` holding the response head
  Buffer upstream_in;            // response bytes from the backend (pooled block)
  upstream::ConnectionPtr conn;
  char request_id[64];
  size_t request_id_len = 0;
  // Route scripts: what the hooks see of this request and its response, and the storage for
  // the strings they set. Untouched when the route has no script.
  EditArena arena;
  LuaRequest lua_req;
  LuaResponse lua_resp;

  std::string_view requestId() const { return {request_id, request_id_len}; }
};

class ExchangePool {
 public:
  explicit ExchangePool(size_t out_capacity) : out_capacity_(out_capacity) {}
  std::unique_ptr<Exchange> acquire() {
    if (free_.empty()) return std::make_unique<Exchange>(out_capacity_);
    auto e = std::move(free_.back());
    free_.pop_back();
    return e;
  }
  void release(std::unique_ptr<Exchange> e) {
    e->conn.reset();
    if (free_.size() < 1024) free_.push_back(std::move(e));
  }

 private:
  size_t out_capacity_;
  std::vector<std::unique_ptr<Exchange>> free_;
};

}  // namespace tidegate::proxy
