#pragma once
// AdminServer: the admin listener's HTTP/1.1 server (GET /metrics, and the admin API as it
// grows). It runs on the control thread's io_context, so handlers read control-plane state
// (metric totals, autoscaler events) without locks. Requests are parsed by the same strict
// parser as proxied traffic; bodies are not accepted.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "core/result.h"
#include "net/address.h"

namespace tidegate::admin {

struct AdminRequest {
  std::string_view method;
  std::string_view path;
  std::string_view query;
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class AdminServer {
 public:
  using Handler = std::function<AdminResponse(const AdminRequest&)>;

  explicit AdminServer(asio::io_context& io) : io_(io) {}
  ~AdminServer();

  // GET (and HEAD) of exactly `path`.
  void get(std::string path, Handler handler) { handlers_[std::move(path)] = std::move(handler); }

  // Binds and starts accepting.
  Result<Ok> start(const net::Address& address);
  void stop();
  // The bound port (useful with port 0).
  uint16_t port() const;

 private:
  struct Connection;
  void accept();
  AdminResponse dispatch(const AdminRequest& req) const;

  asio::io_context& io_;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::map<std::string, Handler, std::less<>> handlers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tidegate::admin
