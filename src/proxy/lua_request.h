#pragma once
// LuaRequest: the proxy's side of lua::RequestContext — the request being served as the
// route script's hooks read and change it. Changes are made to the parsed head in place
// (new strings live in the exchange's EditArena), so the upstream head writer sends them
// without knowing Lua exists. Pooled in the Exchange; its worker only.

#include <string>
#include <vector>

#include "http/message_head.h"
#include "lua/request_context.h"
#include "proxy/edit_arena.h"

namespace tidegate::proxy {

struct Snapshot;

class LuaRequest final : public lua::RequestContext {
 public:
  // Starts a request: `req` and `arena` must outlive the hooks' calls for it.
  void begin(http::RequestHead& req, EditArena& arena, std::string_view client_ip,
             std::string_view route, const Snapshot& snapshot);

  std::string_view method() const override { return req_->method_text; }
  void setMethod(std::string_view method) override;
  std::string_view path() const override { return req_->path; }
  void setPath(std::string_view path) override;
  std::string_view query() const override { return req_->query; }
  void setQuery(std::string_view query) override;
  std::optional<std::string_view> header(std::string_view name) const override;
  void setHeader(std::string_view name, std::string_view value) override;
  void removeHeader(std::string_view name) override;
  std::string_view clientIp() const override { return client_ip_; }
  std::string_view routeName() const override { return route_; }
  bool setUpstream(std::string_view pool) override;
  void respond(int status, std::string_view body, const lua::HeaderRef* headers,
               size_t header_count) override;

  // What the hooks decided.
  int poolOverride() const { return pool_override_; }  // -1: the route's own pool
  bool responded() const { return responded_; }
  int respondStatus() const { return respond_status_; }
  std::string_view respondBody() const { return respond_body_; }
  const std::vector<lua::HeaderRef>& respondHeaders() const { return respond_headers_; }

 private:
  void retarget();  // rebuilds the request-target after a path or query change

  http::RequestHead* req_ = nullptr;
  EditArena* arena_ = nullptr;
  const Snapshot* snapshot_ = nullptr;
  std::string_view client_ip_;
  std::string_view route_;
  int pool_override_ = -1;
  bool responded_ = false;
  int respond_status_ = 0;
  std::string respond_body_;  // keeps its capacity across requests
  std::vector<lua::HeaderRef> respond_headers_;
};

}  // namespace tidegate::proxy
