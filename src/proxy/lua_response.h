#pragma once
// LuaResponse: the proxy's side of lua::ResponseContext — the response as on_response
// changes it (status and headers of the backend's head, edited in place like LuaRequest) and
// as on_log reads it, including a copy of the body kept for the script (resp:keep_body).
// Pooled in the Exchange; its worker only.

#include <string>

#include "http/message_head.h"
#include "lua/request_context.h"
#include "proxy/edit_arena.h"

namespace tidegate::proxy {

struct Pool;

class LuaResponse final : public lua::ResponseContext {
 public:
  // A response from `backend` of `pool`, head parsed into `resp`.
  void beginUpstream(http::ResponseHead& resp, EditArena& arena, const Pool& pool,
                     const void* backend);
  // A response the gateway made (tg.respond, an error): status only, no headers, no backend.
  void beginLocal(int status);

  int status() const override { return resp_ ? resp_->status : local_status_; }
  void setStatus(int status) override;
  std::optional<std::string_view> header(std::string_view name) const override;
  void setHeader(std::string_view name, std::string_view value) override;
  void removeHeader(std::string_view name) override;
  std::pair<std::shared_ptr<const lua::BackendSet>, int> backend() const override;
  bool keepBody(size_t max_bytes) override;
  std::optional<std::string_view> keptBody() const override;

  // The relay feeds the body's data bytes (de-chunked) here while keep_body is on.
  bool keepingBody() const { return keep_limit_ > 0 && !keep_overflow_; }
  void appendBody(std::string_view bytes);
  void bodyComplete() { body_complete_ = true; }

 private:
  http::ResponseHead* resp_ = nullptr;
  EditArena* arena_ = nullptr;
  const Pool* pool_ = nullptr;
  const void* backend_ = nullptr;
  int local_status_ = 0;
  size_t keep_limit_ = 0;
  bool keep_overflow_ = false;
  bool body_complete_ = false;
  std::string kept_;  // keeps its capacity across requests (trimmed when it grew large)
};

}  // namespace tidegate::proxy
