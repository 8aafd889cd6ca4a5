#include "admin/admin_server.h"

#include <array>

#include <asio/write.hpp>

#include "core/log.h"
#include "http/parser.h"
#include "http/status.h"
#include "net/listener.h"

namespace tidegate::admin {
namespace {

constexpr size_t kMaxHead = 8 * 1024;
constexpr auto kIdleTimeout = std::chrono::seconds(30);

std::string renderResponse(const AdminResponse& r, bool head_only, bool close) {
  std::string out;
  out.reserve(r.body.size() + 256);
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += http::reasonPhrase(r.status);
  out += "\r\nServer: tidegate\r\nContent-Type: ";
  out += r.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(r.body.size());
  out += "\r\nCache-Control: no-store\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_only) out += r.body;
  return out;
}

}  // namespace

// One admin client connection: reads a head, answers, repeats while keep-alive.
struct AdminServer::Connection : std::enable_shared_from_this<Connection> {
  Connection(AdminServer& server, asio::ip::tcp::socket s)
      : server(server), socket(std::move(s)), timer(server.io_) {}

  void start() {
    timer.expires_after(kIdleTimeout);
    timer.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!ec) {
        std::error_code ignored;
        self->socket.close(ignored);
      }
    });
    read();
  }

  void read() {
    if (buffer.size() >= kMaxHead) return respondError(431, "request head too large\n");
    size_t old = buffer.size();
    buffer.resize(kMaxHead);
    socket.async_read_some(asio::buffer(buffer.data() + old, kMaxHead - old),
                           [self = shared_from_this(), old](std::error_code ec, size_t n) {
                             self->buffer.resize(old + (ec ? 0 : n));
                             if (ec || n == 0) return self->close();
                             self->process();
                           });
  }

  void process() {
    http::ParserLimits limits;
    limits.max_head_bytes = kMaxHead;
    http::RequestHead req;
    auto pr = http::parseRequestHead(buffer, limits, req);
    if (pr.status == http::ParseStatus::kIncomplete) return read();
    if (pr.status == http::ParseStatus::kError)
      return respondError(pr.error_status, std::string(pr.error) + "\n");
    if (req.framing != http::BodyFraming::kNone &&
        !(req.framing == http::BodyFraming::kContentLength && req.content_length == 0))
      return respondError(413, "the admin API takes no request bodies\n");
    const bool head_only = req.method == http::Method::kHead;
    AdminResponse r;
    if (req.method != http::Method::kGet && !head_only) {
      r = {405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
    } else {
      r = server.dispatch({req.method_text, req.path, req.query});
    }
    const bool close = !req.keep_alive;
    buffer.erase(buffer.begin(), buffer.begin() + long(pr.consumed));
    write(renderResponse(r, head_only, close), close);
  }

  void respondError(int status, std::string body) {
    write(renderResponse({status, "text/plain; charset=utf-8", std::move(body)}, false, true),
          true);
  }

  void write(std::string data, bool close_after) {
    out = std::move(data);
    asio::async_write(socket, asio::buffer(out),
                      [self = shared_from_this(), close_after](std::error_code ec, size_t) {
                        if (ec || close_after) return self->close();
                        self->timer.expires_after(kIdleTimeout);
                        self->timer.async_wait([self](std::error_code e) {
                          if (!e) {
                            std::error_code ignored;
                            self->socket.close(ignored);
                          }
                        });
                        if (!self->buffer.empty())
                          self->process();
                        else
                          self->read();
                      });
  }

  void close() {
    std::error_code ignored;
    timer.cancel();
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  AdminServer& server;
  asio::ip::tcp::socket socket;
  asio::steady_timer timer;
  std::string buffer;
  std::string out;
};

AdminServer::~AdminServer() {
  *alive_ = false;
  stop();
}

Result<Ok> AdminServer::start(const net::Address& address) {
  auto acceptor = net::openReusePortListener(io_, address, 128);
  if (!acceptor) return acceptor.error();
  acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(std::move(acceptor.value()));
  accept();
  return Ok{};
}

void AdminServer::stop() {
  if (acceptor_) {
    std::error_code ignored;
    acceptor_->close(ignored);
  }
}

uint16_t AdminServer::port() const {
  std::error_code ec;
  return acceptor_ ? acceptor_->local_endpoint(ec).port() : 0;
}

void AdminServer::accept() {
  acceptor_->async_accept([this, alive = alive_](std::error_code ec, asio::ip::tcp::socket s) {
    if (!*alive || !acceptor_->is_open()) return;
    if (!ec) std::make_shared<Connection>(*this, std::move(s))->start();
    accept();
  });
}

AdminResponse AdminServer::dispatch(const AdminRequest& req) const {
  auto it = handlers_.find(req.path);
  if (it == handlers_.end()) return {404, "text/plain; charset=utf-8", "not found\n"};
  return it->second(req);
}

}  // namespace tidegate::admin
