#include "proxy/session.h"

#include <arpa/inet.h>

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <charconv>
#include <cmath>

#include "core/clock.h"
#include "core/log.h"
#include "http/chunked.h"
#include "http/parser.h"
#include "lua/hooks.h"
#include "metrics/request_metrics.h"
#include "net/listener.h"
#include "proxy/exchange.h"
#include "proxy/head_writer.h"
#include "proxy/worker.h"

namespace tidegate::proxy {
namespace {

using asio::awaitable;
using asio::ip::tcp;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr size_t kMaxIov = 48;

// Why an attempt to get a response from a backend failed before any response byte came.
enum class UpstreamFailure {
  kNone,
  kConnect,          // refused / unreachable: nothing was sent
  kConnectTimeout,   // nothing was sent
  kSend,             // writing the request failed
  kClosedEarly,      // EOF or reset before the first response byte
  kResponseTimeout,  // no response head in time
  kBadResponse,      // the backend broke HTTP
  kClientBody,       // the client's body was bad or the client went away (not the backend's fault)
};

std::string_view describe(UpstreamFailure f) {
  switch (f) {
    case UpstreamFailure::kConnect:
      return "upstream connect failed";
    case UpstreamFailure::kConnectTimeout:
      return "upstream connect timed out";
    case UpstreamFailure::kSend:
      return "upstream connection failed while sending the request";
    case UpstreamFailure::kClosedEarly:
      return "upstream closed the connection before responding";
    case UpstreamFailure::kResponseTimeout:
      return "upstream response timed out";
    case UpstreamFailure::kBadResponse:
      return "upstream sent an invalid response";
    default:
      return "upstream failure";
  }
}

int statusFor(UpstreamFailure f) {
  return (f == UpstreamFailure::kConnectTimeout || f == UpstreamFailure::kResponseTimeout) ? 504
                                                                                           : 502;
}

// Value of cookie `name` in a Cookie header, or empty.
std::string_view findCookie(std::string_view cookies, std::string_view name) {
  while (!cookies.empty()) {
    size_t semi = cookies.find(';');
    std::string_view pair = cookies.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ')
      pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=')
      return pair.substr(name.size() + 1);
    if (semi == std::string_view::npos) break;
    cookies.remove_prefix(semi + 1);
  }
  return {};
}

class Session {
 public:
  Session(Worker& w, tcp::socket s)
      : w_(w), client_(std::move(s)), deadline_(w.sweeper()), up_deadline_(w.sweeper()) {
    idle_.socket = &client_;
    std::error_code ec;
    auto ep = client_.remote_endpoint(ec);
    if (!ec) {
      std::string ip =
          ep.address().is_v6() && ep.address().to_v6().is_v4_mapped()
              ? asio::ip::make_address_v4(asio::ip::v4_mapped, ep.address().to_v6()).to_string()
              : ep.address().to_string();
      ip_len_ = std::min(ip.size(), sizeof ip_);
      std::memcpy(ip_, ip.data(), ip_len_);
    }
  }

  awaitable<void> run();

 private:
  enum class Next { kKeepAlive, kClose };

  std::string_view clientIp() const { return {ip_, ip_len_}; }
  const config::Timeouts& timeouts() const { return snap_->shared->config->timeouts; }
  void armClient(int64_t ms) { deadline_.arm(client_, coarseNowMs() + ms); }

  awaitable<Next> serveRequest(Exchange& ex, const http::ParseResult& pr);
  awaitable<Next> forward(Exchange& ex, size_t head_len, uint32_t pool_index, uint64_t max_body);
  awaitable<UpstreamFailure> connect(Exchange& ex, const upstream::Backend* backend);
  awaitable<UpstreamFailure> sendBody(Exchange& ex, size_t head_len, bool replayable,
                                      uint64_t max_body, int& client_error);
  awaitable<UpstreamFailure> readResponseHead(Exchange& ex);
  awaitable<bool> relayResponse(Exchange& ex, bool& upstream_reusable, bool& close_client);
  awaitable<Next> respondLocal(Exchange* ex, int status, std::string_view body, bool close);
  // Answers a request we could not forward; drops its bytes from in_ so the connection can
  // go on when the whole request was read, and closes it otherwise.
  awaitable<Next> failLocal(Exchange& ex, size_t head_len, bool head_consumed, int status,
                            std::string_view body);
  awaitable<bool> writeClient(std::span<const asio::const_buffer> bufs);
  awaitable<Next> respondScript(Exchange& ex, size_t head_len);
  // A hook failed: count it on the route and answer 500.
  awaitable<Next> failScript(Exchange& ex, size_t head_len, bool head_consumed);
  // After the response (or the failure): metrics, on_log, and the request's Lua state.
  void finishRequest(Exchange& ex);
  void noteReportedLoad(const Pool& pool, const upstream::Backend& backend,
                        const http::ResponseHead& resp);

  Worker& w_;
  tcp::socket client_;
  event::Deadline deadline_;     // client socket operations
  event::Deadline up_deadline_;  // upstream socket operations
  Buffer in_;
  LocalRef<WorkerSnapshot> snap_;
  Worker::IdleSession idle_;
  char idle_landing_[512];  // first bytes of the next request on an idle connection
  char ip_[64] = {};
  size_t ip_len_ = 0;
  std::string_view route_name_;

  // The request being served, for metrics and on_log; reset when a request starts.
  struct RequestRecord {
    int64_t start_ns = 0;  // head parsed
    int status = 0;        // sent to the client; 0 when nothing was
    uint64_t bytes_in = 0;
    uint64_t bytes_out = 0;
    const metrics::RouteSeries* route = nullptr;  // null: unmatched
    const upstream::Backend* backend = nullptr;   // the backend that answered
    const Pool* pool = nullptr;                   // the pool it was forwarded to
    lua::Script* script = nullptr;                // the route's script, when it has one
    bool upstream_response = false;               // lua_resp holds a backend's response
    bool record = true;                           // metrics.enabled
    int64_t connect_ns = -1;
    int64_t sent_ns = 0;
    int64_t header_ns = -1;
  } rec_;
};

awaitable<void> Session::run() {
  w_.active_connections.fetch_add(1, std::memory_order_relaxed);
  // Connection series handles never change, so the close can use the ones seen at open.
  const metrics::GaugeId connections_active = w_.snapshot()->shared->connections_active;
  w_.shard().add(connections_active, 1.0);
  w_.shard().add(w_.snapshot()->shared->connections_total);
  bool first = true;
  for (;;) {
    if (in_.empty()) {
      // Idle between requests: hold no buffer, just wait for the socket to become readable.
      w_.buffers().release(in_);
      if (w_.draining()) break;
      const auto& t = w_.snapshot()->shared->config->timeouts;
      armClient(first ? t.request_header_ms : t.client_idle_ms);
      w_.linkIdle(idle_);
      // A read, not a readiness wait: Asio re-arms epoll (EPOLL_CTL_MOD) for every
      // async_wait, while a read after an exhausted one is queued without a syscall. The
      // small landing area keeps idle connections cheap; the bytes move to a pooled buffer.
      auto [ec, n] = co_await client_.async_read_some(
          asio::buffer(idle_landing_, sizeof idle_landing_), kNoThrow);
      w_.unlinkIdle(idle_);
      if (ec || n == 0) break;  // idle timeout, drain or client gone: close quietly
      w_.buffers().acquire(in_);
      in_.append({idle_landing_, n});
    }
    if (!in_.attached()) w_.buffers().acquire(in_);

    snap_ = w_.snapshot();
    auto ex_ptr = w_.exchanges().acquire();
    Exchange& ex = *ex_ptr;
    w_.nextRequestId(ex.request_id);
    ex.request_id_len = 32;
    const http::ParserLimits& limits = snap_->shared->parser_limits;

    armClient(timeouts().request_header_ms);
    http::ParseResult pr;
    bool client_gone = false;
    for (;;) {
      if (!in_.empty()) {
        pr = http::parseRequestHead(in_.view(), limits, ex.req);
        if (pr.status != http::ParseStatus::kIncomplete) break;
      }
      if (in_.writable() == 0) {
        in_.compact();
        if (in_.writable() == 0) {
          pr.status = http::ParseStatus::kError;
          pr.error_status = 431;
          pr.error = "request head too large";
          break;
        }
      }
      auto [ec, n] =
          co_await client_.async_read_some(asio::buffer(in_.writePtr(), in_.writable()), kNoThrow);
      if (ec || n == 0) {
        if (deadline_.expired() && !in_.empty()) {  // part of a head came, then time ran out
          pr.status = http::ParseStatus::kError;
          pr.error_status = 408;
          pr.error = "request head timed out";
        } else {
          client_gone = true;
        }
        break;
      }
      in_.commit(n);
    }
    Next next = Next::kClose;
    rec_ = RequestRecord{};
    rec_.start_ns = monotonicNowNs();
    rec_.record = snap_->shared->record_metrics;
    if (!client_gone) {
      if (pr.status == http::ParseStatus::kError) {
        std::string body = std::string(pr.error) + "\n";
        rec_.bytes_in = in_.size();
        next = co_await respondLocal(&ex, pr.error_status, body, true);
      } else {
        w_.active_requests.fetch_add(1, std::memory_order_relaxed);
        w_.requests_total.fetch_add(1, std::memory_order_relaxed);
        rec_.bytes_in = pr.consumed;
        next = co_await serveRequest(ex, pr);
        w_.active_requests.fetch_sub(1, std::memory_order_relaxed);
      }
      finishRequest(ex);
    }
    w_.buffers().release(ex.upstream_in);
    w_.exchanges().release(std::move(ex_ptr));
    snap_.reset();
    if (next == Next::kClose) break;
    first = false;
  }
  deadline_.disarm();
  up_deadline_.disarm();
  w_.buffers().release(in_);
  std::error_code ignored;
  client_.shutdown(tcp::socket::shutdown_both, ignored);
  client_.close(ignored);
  w_.shard().add(connections_active, -1.0);
  w_.active_connections.fetch_sub(1, std::memory_order_relaxed);
}

void Session::finishRequest(Exchange& ex) {
  const Snapshot& snap = *snap_->shared;
  const int64_t end_ns = monotonicNowNs();
  const int64_t latency_us = (end_ns - rec_.start_ns) / 1000;
  metrics::MetricShard& shard = w_.shard();
  const metrics::RouteSeries& route = rec_.route ? *rec_.route : snap.unmatched_series;
  const upstream::Backend* backend = rec_.upstream_response ? rec_.backend : nullptr;
  const int status = rec_.status ? rec_.status : 499;  // nothing sent: the client went away
  if (rec_.record)
    metrics::recordRequest(
        shard, route, backend ? &backend->series() : nullptr, metrics::statusClassOf(status),
        uint64_t(std::max<int64_t>(latency_us, 0)), rec_.bytes_in, rec_.bytes_out,
        backend ? uint64_t(std::max<int64_t>(end_ns - rec_.sent_ns, 0) / 1000) : UINT64_MAX);
  if (rec_.route && rec_.record) metrics::routeInFlight(shard, *rec_.route, -1);
  // The request's times in ms, for the access log and on_log (negative: no upstream).
  lua::LogTimings times;
  times.total_ms = double(end_ns - rec_.start_ns) / 1e6;
  if (rec_.header_ns >= 0) {
    times.upstream_connect_ms = rec_.connect_ns >= 0 ? double(rec_.connect_ns) / 1e6 : 0.0;
    times.upstream_header_ms = double(rec_.header_ns - rec_.sent_ns) / 1e6;
    times.upstream_total_ms = double(end_ns - rec_.sent_ns) / 1e6;
  }
  if (metrics::AccessLog::Writer* log = w_.accessLog()) {
    metrics::AccessRecord r;
    r.unix_ms = wallNowMs();
    r.route = rec_.route ? route_name_ : std::string_view();
    r.upstream = rec_.pool ? std::string_view(rec_.pool->name) : std::string_view();
    r.backend = rec_.backend ? std::string_view(rec_.backend->id()) : std::string_view();
    r.method = ex.req.method_text;
    r.path = ex.req.path;
    r.query = ex.req.query;
    r.client_ip = clientIp();
    r.request_id = ex.requestId();
    r.status = status;
    r.bytes_in = rec_.bytes_in;
    r.bytes_out = rec_.bytes_out;
    r.duration_ms = times.total_ms;
    r.upstream_connect_ms = times.upstream_connect_ms;
    r.upstream_header_ms = times.upstream_header_ms;
    r.upstream_total_ms = times.upstream_total_ms;
    log->append(r);
  }

  if (rec_.script) {
    lua::Script& script = *rec_.script;
    if (script.has(lua::Hook::kOnLog)) {
      if (!rec_.upstream_response) ex.lua_resp.beginLocal(status);
      uint64_t errors = script.counters().errors.load(std::memory_order_relaxed);
      lua::runOnLog(script, ex.lua_req, ex.lua_resp, times);
      if (script.counters().errors.load(std::memory_order_relaxed) != errors && rec_.route)
        shard.add(rec_.route->lua_errors);
    } else {
      lua::finishRequest(script.vm(), ex.lua_req);
    }
  }
  ex.arena.reset();
}

void Session::noteReportedLoad(const Pool& pool, const upstream::Backend& backend,
                               const http::ResponseHead& resp) {
  const http::Header* h = resp.headers.find(pool.load_header);
  if (!h) return;
  double load = 0;
  const char* end = h->value.data() + h->value.size();
  auto [ptr, ec] = std::from_chars(h->value.data(), end, load);
  if (ec != std::errc() || ptr != end || !std::isfinite(load)) return;
  backend.stats().reported_load.store(load, std::memory_order_relaxed);
  w_.shard().set(backend.series().reported_load, load);
}

awaitable<Session::Next> Session::serveRequest(Exchange& ex, const http::ParseResult& pr) {
  const http::RequestHead& req = ex.req;

  if (req.method == http::Method::kConnect)
    co_return co_await respondLocal(&ex, 501, "CONNECT is not supported\n", true);

  const Snapshot& snap = *snap_->shared;
  const Route* route = snap.router.match(req);
  if (!route) co_return co_await failLocal(ex, pr.consumed, false, 404, "no route matches\n");
  route_name_ = route->name;
  rec_.route = &snap.route_series[route->index];
  if (rec_.record) metrics::routeInFlight(w_.shard(), *rec_.route, +1);
  uint64_t max_body = route->max_body_bytes;
  if (req.framing == http::BodyFraming::kContentLength && req.content_length > max_body)
    co_return co_await respondLocal(&ex, 413, "request body too large\n", true);

  uint32_t pool_index = snap.route_pool[route->index];
  lua::Script* script =
      route->index < snap_->route_scripts.size() ? snap_->route_scripts[route->index] : nullptr;
  if (script) {
    rec_.script = script;
    ex.lua_req.begin(ex.req, ex.arena, clientIp(), route->name, snap);
    if (script->has(lua::Hook::kOnRequest)) {
      lua::HookOutcome out = lua::runOnRequest(*script, ex.lua_req);
      if (out.action == lua::HookAction::kFail)
        co_return co_await failScript(ex, pr.consumed, false);
      if (out.action == lua::HookAction::kRespond)
        co_return co_await respondScript(ex, pr.consumed);
      if (ex.lua_req.poolOverride() >= 0) pool_index = uint32_t(ex.lua_req.poolOverride());
    }
  }
  co_return co_await forward(ex, pr.consumed, pool_index, max_body);
}

awaitable<Session::Next> Session::failScript(Exchange& ex, size_t head_len, bool head_consumed) {
  if (rec_.route) w_.shard().add(rec_.route->lua_errors);
  co_return co_await failLocal(ex, head_len, head_consumed, 500, "script error\n");
}

awaitable<Session::Next> Session::respondScript(Exchange& ex, size_t head_len) {
  const http::RequestHead& req = ex.req;
  bool whole_request_here = req.framing == http::BodyFraming::kNone ||
                            (req.framing == http::BodyFraming::kContentLength &&
                             in_.size() - head_len >= req.content_length);
  if (whole_request_here) {
    uint64_t body = req.framing == http::BodyFraming::kNone ? 0 : req.content_length;
    in_.consume(head_len + body);
    rec_.bytes_in += body;
  }
  bool close = !whole_request_here || !req.keep_alive || w_.draining();
  const LuaRequest& lr = ex.lua_req;
  HeadWriter hw(ex.out.data(), ex.out.size());
  writeScriptResponseHead(lr.respondStatus(), lr.respondBody().size(), lr.respondHeaders(),
                          ex.requestId(), close, hw);
  if (hw.overflow()) co_return co_await respondLocal(&ex, 500, "script response too large\n", true);
  rec_.status = lr.respondStatus();
  std::string_view body = req.method == http::Method::kHead ? std::string_view() : lr.respondBody();
  std::array<asio::const_buffer, 2> b{asio::buffer(hw.view()), asio::buffer(body)};
  bool ok = co_await writeClient(b);
  co_return (ok && !close) ? Next::kKeepAlive : Next::kClose;
}

awaitable<Session::Next> Session::forward(Exchange& ex, size_t head_len, uint32_t pool_index,
                                          uint64_t max_body) {
  const http::RequestHead& req = ex.req;
  const Snapshot& snap = *snap_->shared;
  const Pool& pool = snap.pools[pool_index];
  upstream::Balancer& balancer = *snap_->balancers[pool_index];
  rec_.pool = &pool;

  // Regenerate the head now, while the parsed views are valid.
  HeadWriter hw(ex.out.data(), ex.out.size());
  std::string_view request_id;
  writeUpstreamRequestHead(req, {clientIp(), "http", ex.requestId(), pool.name}, hw, request_id);
  if (hw.overflow()) co_return co_await respondLocal(&ex, 431, "request head too large\n", true);
  ex.upstream_head_len = hw.size();
  if (request_id.size() <= sizeof ex.request_id) {
    std::memmove(ex.request_id, request_id.data(), request_id.size());
    ex.request_id_len = request_id.size();
  }

  std::string_view hash_key;
  if (pool.balance == upstream::BalanceKind::kConsistentHash) {
    if (pool.hash_by == config::HashBy::kClientIp)
      hash_key = clientIp();
    else if (const http::Header* h = req.headers.find(pool.hash_by == config::HashBy::kHeader
                                                          ? std::string_view(pool.hash_name)
                                                          : std::string_view("cookie")))
      hash_key =
          pool.hash_by == config::HashBy::kHeader ? h->value : findCookie(h->value, pool.hash_name);
  }

  // Chunk framing that already arrived with the head is checked before any backend sees
  // the request: a malformed body then reaches no one.
  if (req.framing == http::BodyFraming::kChunked) {
    http::ChunkedDecoder probe;
    std::string_view rest = in_.view().substr(head_len);
    for (;;) {
      auto step = probe.next(rest);
      if (step.kind == http::ChunkedDecoder::Kind::kError)
        co_return co_await respondLocal(&ex, 400, "malformed chunked body\n", true);
      if (step.kind == http::ChunkedDecoder::Kind::kIncomplete ||
          step.kind == http::ChunkedDecoder::Kind::kDone)
        break;
      rest.remove_prefix(step.consumed);
    }
  }

  // A request can be sent again only while we still hold all of it.
  const bool replayable = req.framing == http::BodyFraming::kNone ||
                          (req.framing == http::BodyFraming::kContentLength &&
                           in_.size() - head_len >= req.content_length);
  const bool idempotent = http::isIdempotent(req.method);
  const bool client_keep_alive = req.keep_alive;
  const bool body_streamed = !replayable;

  const upstream::Backend* failed_backend = nullptr;
  const upstream::Backend* forced = nullptr;
  bool fresh_only = false;
  bool retried_other = false;
  bool retried_stale = false;
  bool head_consumed = false;
  UpstreamFailure last_failure = UpstreamFailure::kNone;
  std::string last_failure_body;

  lua::Script* script = rec_.script;
  for (;;) {
    int64_t now = coarseNowMs();
    const upstream::Backend* backend = forced;
    // The script's balance picks the first backend; a retry elsewhere uses the built-in
    // balancer, which knows to avoid the backend that failed.
    if (!backend && script && !failed_backend && script->has(lua::Hook::kBalance)) {
      int index = lua::runBalance(*script, ex.lua_req, pool.lua_backends);
      if (index == lua::kBalanceFailed) co_return co_await failScript(ex, head_len, head_consumed);
      if (index >= 0 && size_t(index) < pool.backends.size())
        backend = pool.backends[size_t(index)].get();
    }
    if (!backend) backend = balancer.pick({now, hash_key, failed_backend});
    forced = nullptr;
    if (!backend) {
      // No other backend to retry on: report the failure that made us look for one.
      if (last_failure != UpstreamFailure::kNone)
        co_return co_await failLocal(ex, head_len, head_consumed, statusFor(last_failure),
                                     last_failure_body);
      co_return co_await failLocal(ex, head_len, head_consumed, 503, "no backend available\n");
    }

    bool reused = false;
    if (!fresh_only) {
      ex.conn = w_.upstreams().take(backend);
      reused = ex.conn != nullptr;
    }
    fresh_only = false;
    UpstreamFailure failure = UpstreamFailure::kNone;
    rec_.connect_ns = -1;
    if (!reused) {
      int64_t connect_start = monotonicNowNs();
      failure = co_await connect(ex, backend);
      rec_.connect_ns = monotonicNowNs() - connect_start;
      if (failure == UpstreamFailure::kConnect || failure == UpstreamFailure::kConnectTimeout)
        if (rec_.record) metrics::upstreamConnectFailure(w_.shard(), backend->series());
    }

    backend->onRequestStart();
    if (rec_.record) metrics::backendInFlight(w_.shard(), backend->series(), +1);
    int64_t start_ns = monotonicNowNs();
    rec_.sent_ns = start_ns;
    bool wrote_any = false;
    int client_error = 0;
    if (failure == UpstreamFailure::kNone) {
      // Head plus whatever of the body is already here, in one write.
      size_t first_body = 0;
      if (req.framing == http::BodyFraming::kContentLength && !head_consumed)
        first_body = std::min<uint64_t>(in_.size() - head_len, req.content_length);
      std::array<asio::const_buffer, 2> bufs{asio::buffer(ex.out.data(), ex.upstream_head_len),
                                             asio::buffer(in_.data() + head_len, first_body)};
      if (!head_consumed) rec_.bytes_in = head_len + first_body;
      up_deadline_.arm(ex.conn->socket, now + timeouts().upstream_response_ms);
      auto [ec, n] = co_await asio::async_write(ex.conn->socket, bufs, kNoThrow);
      if (ec) {
        failure = UpstreamFailure::kSend;
      } else {
        wrote_any = true;
        if (!replayable) {
          // Streamed body: the head bytes are no longer needed; the rest flows through in_.
          in_.consume(head_len);
          head_consumed = true;
          if (req.expect_continue && in_.empty()) {
            std::array<asio::const_buffer, 1> c{asio::buffer(kContinue)};
            if (!co_await writeClient(c)) failure = UpstreamFailure::kClientBody;
          }
          if (failure == UpstreamFailure::kNone)
            failure = co_await sendBody(ex, first_body, false, max_body, client_error);
        }
      }
    }
    if (failure == UpstreamFailure::kNone) failure = co_await readResponseHead(ex);
    if (failure == UpstreamFailure::kConnectTimeout || failure == UpstreamFailure::kResponseTimeout)
      if (rec_.record) metrics::upstreamTimeout(w_.shard(), backend->series());

    if (failure != UpstreamFailure::kNone) {
      if (rec_.record) metrics::backendInFlight(w_.shard(), backend->series(), -1);
      ex.conn.reset();
      up_deadline_.disarm();
      if (failure == UpstreamFailure::kClientBody) {
        backend->onRequestEnd(coarseNowMs(), 0, false);
        if (client_error)
          co_return co_await respondLocal(
              &ex, client_error,
              client_error == 413 ? "request body too large\n" : "malformed request body\n", true);
        co_return Next::kClose;
      }
      // A reused connection that turned out dead is the stale keep-alive race, not a sign of
      // a bad backend: try once more on a fresh connection to the same backend.
      bool nothing_sent = !wrote_any;
      if (reused && !retried_stale && (nothing_sent || (idempotent && !body_streamed))) {
        backend->onRequestEnd(coarseNowMs(), 0, false);
        retried_stale = true;
        forced = backend;
        fresh_only = true;
        continue;
      }
      backend->onRequestEnd(coarseNowMs(), 0, true);
      log::warn("route {}: backend {}: {} (request {})", route_name_, backend->id(),
                describe(failure), ex.requestId());
      last_failure = failure;
      last_failure_body = std::string(describe(failure)) + ": " + backend->id() + "\n";
      bool safe_elsewhere = failure == UpstreamFailure::kConnect ||
                            failure == UpstreamFailure::kConnectTimeout ||
                            (idempotent && !body_streamed);
      if (!retried_other && safe_elsewhere && !head_consumed) {
        retried_other = true;
        failed_backend = backend;
        continue;
      }
      co_return co_await failLocal(ex, head_len, head_consumed, statusFor(failure),
                                   last_failure_body);
    }

    // A response head arrived: from here on the request is committed to this backend.
    rec_.header_ns = monotonicNowNs();
    rec_.backend = backend;
    if (!head_consumed) {
      size_t body = req.framing == http::BodyFraming::kContentLength ? req.content_length : 0;
      in_.consume(head_len + body);
      rec_.bytes_in = head_len + body;
    }
    if (!pool.load_header.empty()) noteReportedLoad(pool, *backend, ex.resp);
    if (script) {
      rec_.upstream_response = true;
      ex.lua_resp.beginUpstream(ex.resp, ex.arena, pool, backend);
      if (script->has(lua::Hook::kOnResponse) &&
          lua::runOnResponse(*script, ex.lua_req, ex.lua_resp).action == lua::HookAction::kFail) {
        // Nothing went to the client yet: drop the backend's response, answer 500.
        rec_.upstream_response = false;
        backend->onRequestEnd(coarseNowMs(), (monotonicNowNs() - start_ns) / 1000, false);
        if (rec_.record) metrics::backendInFlight(w_.shard(), backend->series(), -1);
        ex.conn.reset();
        up_deadline_.disarm();
        if (rec_.route) w_.shard().add(rec_.route->lua_errors);
        co_return co_await respondLocal(&ex, 500, "script error\n", true);
      }
    }
    rec_.upstream_response = true;
    bool upstream_reusable = false;
    bool close_client = !client_keep_alive || w_.draining();
    bool ok = co_await relayResponse(ex, upstream_reusable, close_client);
    if (ok && script) ex.lua_resp.bodyComplete();
    int64_t latency_us = (monotonicNowNs() - start_ns) / 1000;
    backend->onRequestEnd(coarseNowMs(), latency_us, !ok || ex.resp.status >= 500);
    if (rec_.record) metrics::backendInFlight(w_.shard(), backend->series(), -1);
    up_deadline_.disarm();
    if (upstream_reusable && ok && !w_.draining()) {
      ex.conn->requests++;
      w_.upstreams().put(std::move(ex.conn), coarseNowMs(), pool.keepalive_max_idle);
    } else {
      ex.conn.reset();
    }
    co_return (ok && !close_client) ? Next::kKeepAlive : Next::kClose;
  }
}

awaitable<UpstreamFailure> Session::connect(Exchange& ex, const upstream::Backend* backend) {
  // The pool entry keeps the backend alive while the connection exists, across reloads.
  upstream::BackendPtr keep;
  for (const Pool& p : snap_->shared->pools)
    for (const auto& b : p.backends)
      if (b.get() == backend) keep = b;
  ex.conn = std::make_unique<upstream::UpstreamConnection>(w_.io(), std::move(keep));
  auto ep = net::toEndpoint(backend->address());
  up_deadline_.arm(ex.conn->socket, coarseNowMs() + timeouts().connect_ms);
  auto [ec] = co_await ex.conn->socket.async_connect(ep, kNoThrow);
  bool timed_out = up_deadline_.expired();
  up_deadline_.disarm();
  if (ec) {
    log::debug("connect {}: {}", backend->id(), ec.message());
    co_return timed_out ? UpstreamFailure::kConnectTimeout : UpstreamFailure::kConnect;
  }
  std::error_code ignored;
  ex.conn->socket.set_option(tcp::no_delay(true), ignored);
  co_return UpstreamFailure::kNone;
}

awaitable<UpstreamFailure> Session::sendBody(Exchange& ex, size_t already_sent, bool replayable,
                                             uint64_t max_body, int& client_error) {
  const http::RequestHead& req = ex.req;
  auto& up = ex.conn->socket;
  const int64_t read_timeout = timeouts().request_header_ms;
  const int64_t write_timeout = timeouts().upstream_response_ms;

  if (req.framing == http::BodyFraming::kContentLength) {
    in_.consume(already_sent);
    uint64_t remaining = req.content_length - already_sent;
    while (remaining > 0) {
      if (in_.empty()) {
        armClient(read_timeout);
        auto [ec, n] = co_await client_.async_read_some(
            asio::buffer(in_.writePtr(), in_.writable()), kNoThrow);
        if (ec || n == 0) co_return UpstreamFailure::kClientBody;
        in_.commit(n);
      }
      size_t chunk = std::min<uint64_t>(in_.size(), remaining);
      up_deadline_.arm(up, coarseNowMs() + write_timeout);
      auto [ec, n] = co_await asio::async_write(up, asio::buffer(in_.data(), chunk), kNoThrow);
      if (ec) co_return UpstreamFailure::kSend;
      in_.consume(chunk);
      rec_.bytes_in += chunk;
      remaining -= chunk;
    }
    co_return UpstreamFailure::kNone;
  }

  // Chunked: decode strictly, re-encode canonically (sizes in hex, no extensions).
  http::ChunkedDecoder decoder;
  uint64_t total = 0;
  bool last_chunk_sent = false;
  for (;;) {
    std::array<asio::const_buffer, kMaxIov> iov;
    std::array<char, (kMaxIov / 3 + 1) * 20> size_lines;
    size_t n_iov = 0, n_lines = 0, consumed = 0;
    bool done = false;
    while (n_iov + 3 <= kMaxIov) {
      auto step = decoder.next(in_.view().substr(consumed));
      consumed += step.consumed;
      if (step.kind == http::ChunkedDecoder::Kind::kData) {
        total += step.bytes.size();
        if (total > max_body) {
          client_error = 413;
          co_return UpstreamFailure::kClientBody;
        }
        char* line = size_lines.data() + 20 * n_lines++;
        size_t len = http::writeChunkSizeLine(step.bytes.size(), line);
        iov[n_iov++] = asio::buffer(line, len);
        iov[n_iov++] = asio::buffer(step.bytes.data(), step.bytes.size());
        iov[n_iov++] = asio::buffer("\r\n", 2);
      } else if (step.kind == http::ChunkedDecoder::Kind::kTrailer) {
        if (!last_chunk_sent) iov[n_iov++] = asio::buffer("0\r\n", 3);
        last_chunk_sent = true;
        iov[n_iov++] = asio::buffer(step.bytes.data(), step.bytes.size());
      } else if (step.kind == http::ChunkedDecoder::Kind::kDone) {
        if (!last_chunk_sent) iov[n_iov++] = asio::buffer("0\r\n", 3);
        last_chunk_sent = true;
        iov[n_iov++] = asio::buffer("\r\n", 2);
        done = true;
        break;
      } else if (step.kind == http::ChunkedDecoder::Kind::kError) {
        client_error = 400;
        co_return UpstreamFailure::kClientBody;
      } else {
        break;  // incomplete
      }
    }
    if (n_iov > 0) {
      up_deadline_.arm(up, coarseNowMs() + write_timeout);
      auto [ec, n] = co_await asio::async_write(up, std::span(iov.data(), n_iov), kNoThrow);
      if (ec) co_return UpstreamFailure::kSend;
    }
    in_.consume(consumed);
    rec_.bytes_in += consumed;
    if (done) co_return UpstreamFailure::kNone;
    if (n_iov + 3 > kMaxIov) continue;  // more decoded input may be waiting
    in_.compact();
    if (in_.writable() == 0) {
      client_error = 400;
      co_return UpstreamFailure::kClientBody;
    }
    armClient(read_timeout);
    auto [ec, n] =
        co_await client_.async_read_some(asio::buffer(in_.writePtr(), in_.writable()), kNoThrow);
    if (ec || n == 0) co_return UpstreamFailure::kClientBody;
    in_.commit(n);
  }
}

awaitable<UpstreamFailure> Session::readResponseHead(Exchange& ex) {
  auto& up = ex.conn->socket;
  Buffer& buf = ex.upstream_in;
  if (!buf.attached()) w_.buffers().acquire(buf);
  buf.clear();
  const http::ParserLimits& limits = snap_->shared->parser_limits;
  up_deadline_.arm(up, coarseNowMs() + timeouts().upstream_response_ms);
  bool got_bytes = false;
  for (;;) {
    if (!buf.empty()) {
      auto pr = http::parseResponseHead(buf.view(), limits, ex.req.method, ex.resp);
      if (pr.status == http::ParseStatus::kError) co_return UpstreamFailure::kBadResponse;
      if (pr.status == http::ParseStatus::kComplete) {
        if (ex.resp.status >= 100 && ex.resp.status < 200) {
          if (ex.resp.status == 101) co_return UpstreamFailure::kBadResponse;  // no upgrades
          buf.consume(pr.consumed);  // interim response: we answered 100-continue ourselves
          continue;
        }
        ex.resp_head_len = pr.consumed;
        co_return UpstreamFailure::kNone;
      }
    }
    if (buf.writable() == 0) {
      buf.compact();
      if (buf.writable() == 0) co_return UpstreamFailure::kBadResponse;
    }
    auto [ec, n] =
        co_await up.async_read_some(asio::buffer(buf.writePtr(), buf.writable()), kNoThrow);
    if (ec || n == 0) {
      if (up_deadline_.expired()) co_return UpstreamFailure::kResponseTimeout;
      co_return got_bytes ? UpstreamFailure::kBadResponse : UpstreamFailure::kClosedEarly;
    }
    got_bytes = true;
    buf.commit(n);
  }
}

awaitable<bool> Session::relayResponse(Exchange& ex, bool& upstream_reusable, bool& close_client) {
  const http::ResponseHead& resp = ex.resp;
  auto& up = ex.conn->socket;
  Buffer& buf = ex.upstream_in;
  const uint8_t client_minor = ex.req.version_minor;
  const bool chunked = resp.framing == http::BodyFraming::kChunked;
  const bool chunked_to_client = chunked && client_minor == 1;
  if (resp.framing == http::BodyFraming::kUntilClose || (chunked && !chunked_to_client))
    close_client = true;
  // Codings such as gzip are content the client must decode: keep their Transfer-Encoding
  // for an HTTP/1.1 client; an HTTP/1.0 client cannot take them at all.
  const bool other_codings = hasOtherTransferCodings(resp);
  buf.consume(ex.resp_head_len);
  if (other_codings && client_minor == 0) {
    close_client = true;
    (void)co_await respondLocal(&ex, 502, "upstream used a transfer coding HTTP/1.0 lacks\n", true);
    co_return false;
  }
  ClientCoding coding = other_codings       ? ClientCoding::kAsReceived
                        : chunked_to_client ? ClientCoding::kChunked
                                            : ClientCoding::kIdentity;
  HeadWriter hw(ex.out.data(), ex.out.size());
  writeClientResponseHead(resp, client_minor, coding, close_client, hw);
  if (hw.overflow()) {
    close_client = true;
    (void)co_await respondLocal(&ex, 502, "upstream response head too large\n", true);
    co_return false;
  }
  rec_.status = resp.status;
  LuaResponse* keep = rec_.script && ex.lua_resp.keepingBody() ? &ex.lua_resp : nullptr;
  const int64_t timeout = timeouts().upstream_response_ms;
  const int64_t client_timeout = timeouts().client_idle_ms;
  std::array<asio::const_buffer, 2> first{asio::buffer(ex.out.data(), hw.size()),
                                          asio::const_buffer()};

  auto readMore = [&]() -> awaitable<bool> {
    buf.compact();
    up_deadline_.arm(up, coarseNowMs() + timeout);
    auto [ec, n] =
        co_await up.async_read_some(asio::buffer(buf.writePtr(), buf.writable()), kNoThrow);
    if (ec || n == 0) co_return false;
    buf.commit(n);
    co_return true;
  };

  switch (resp.framing) {
    case http::BodyFraming::kNone: {
      upstream_reusable = resp.keep_alive && buf.empty();
      co_return co_await writeClient(std::span(first.data(), 1));
    }
    case http::BodyFraming::kContentLength: {
      uint64_t remaining = resp.content_length;
      size_t n = std::min<uint64_t>(buf.size(), remaining);
      first[1] = asio::buffer(buf.data(), n);
      if (keep) keep->appendBody({buf.data(), n});
      if (!co_await writeClient(first)) co_return false;
      buf.consume(n);
      remaining -= n;
      while (remaining > 0) {
        if (!co_await readMore()) co_return false;  // backend died mid-body: abort the client
        n = std::min<uint64_t>(buf.size(), remaining);
        std::array<asio::const_buffer, 1> b{asio::buffer(buf.data(), n)};
        if (keep) keep->appendBody({buf.data(), n});
        armClient(client_timeout);
        if (!co_await writeClient(b)) co_return false;
        buf.consume(n);
        remaining -= n;
      }
      upstream_reusable = resp.keep_alive && buf.empty();
      co_return true;
    }
    case http::BodyFraming::kChunked: {
      if (!co_await writeClient(std::span(first.data(), 1))) co_return false;
      http::ChunkedDecoder decoder;
      for (;;) {
        // Validate the framing and forward what it covers: raw to 1.1 clients (already
        // canonical enough, checked by the strict decoder), de-chunked to 1.0 clients.
        std::array<asio::const_buffer, kMaxIov> iov;
        size_t n_iov = 0, consumed = 0, raw_start = 0;
        bool done = false, error = false;
        while (n_iov < kMaxIov) {
          auto step = decoder.next(buf.view().substr(consumed));
          if (step.kind == http::ChunkedDecoder::Kind::kError) {
            error = true;
            break;
          }
          if (keep && step.kind == http::ChunkedDecoder::Kind::kData) keep->appendBody(step.bytes);
          if (!chunked_to_client && step.kind == http::ChunkedDecoder::Kind::kData)
            iov[n_iov++] = asio::buffer(step.bytes.data(), step.bytes.size());
          consumed += step.consumed;
          if (step.kind == http::ChunkedDecoder::Kind::kDone) done = true;
          if (step.kind == http::ChunkedDecoder::Kind::kDone ||
              step.kind == http::ChunkedDecoder::Kind::kIncomplete)
            break;
        }
        if (chunked_to_client && consumed > raw_start)
          iov[n_iov++] = asio::buffer(buf.data() + raw_start, consumed - raw_start);
        if (n_iov > 0) {
          armClient(client_timeout);
          if (!co_await writeClient(std::span(iov.data(), n_iov))) co_return false;
        }
        buf.consume(consumed);
        if (error) co_return false;
        if (done) {
          upstream_reusable = resp.keep_alive && buf.empty();
          co_return true;
        }
        if (n_iov == kMaxIov) continue;
        if (buf.writable() == 0) buf.compact();
        if (buf.writable() == 0) co_return false;
        if (!co_await readMore()) co_return false;
      }
    }
    case http::BodyFraming::kUntilClose: {
      first[1] = asio::buffer(buf.data(), buf.size());
      if (keep) keep->appendBody(buf.view());
      if (!co_await writeClient(first)) co_return false;
      buf.clear();
      for (;;) {
        up_deadline_.arm(up, coarseNowMs() + timeout);
        auto [ec, n] =
            co_await up.async_read_some(asio::buffer(buf.writePtr(), buf.writable()), kNoThrow);
        if (ec == asio::error::eof) co_return true;  // the end of this body
        if (ec) co_return false;
        std::array<asio::const_buffer, 1> b{asio::buffer(buf.data(), n)};
        if (keep) keep->appendBody({buf.data(), n});
        armClient(client_timeout);
        if (!co_await writeClient(b)) co_return false;
        buf.clear();
      }
    }
  }
  co_return false;
}

awaitable<Session::Next> Session::failLocal(Exchange& ex, size_t head_len, bool head_consumed,
                                            int status, std::string_view body) {
  const http::RequestHead& req = ex.req;
  bool whole_request_here = !head_consumed && (req.framing == http::BodyFraming::kNone ||
                                               (req.framing == http::BodyFraming::kContentLength &&
                                                in_.size() - head_len >= req.content_length));
  if (whole_request_here) {
    in_.consume(head_len + (req.framing == http::BodyFraming::kNone ? 0 : req.content_length));
  }
  co_return co_await respondLocal(&ex, status, body, !whole_request_here || !req.keep_alive);
}

awaitable<bool> Session::writeClient(std::span<const asio::const_buffer> bufs) {
  armClient(snap_ ? timeouts().client_idle_ms : 60000);
  auto [ec, n] = co_await asio::async_write(client_, bufs, kNoThrow);
  rec_.bytes_out += n;
  co_return !ec;
}

awaitable<Session::Next> Session::respondLocal(Exchange* ex, int status, std::string_view body,
                                               bool close) {
  if (w_.draining()) close = true;
  rec_.status = status;
  HeadWriter hw(ex->out.data(), ex->out.size());
  writeLocalResponse(status, body, ex->requestId(), close, hw);
  std::array<asio::const_buffer, 1> b{asio::buffer(hw.view())};
  bool ok = co_await writeClient(b);
  co_return (ok && !close) ? Next::kKeepAlive : Next::kClose;
}

}  // namespace

awaitable<void> runSession(Worker& worker, tcp::socket socket) {
  Session session(worker, std::move(socket));
  co_await session.run();
}

}  // namespace tidegate::proxy
