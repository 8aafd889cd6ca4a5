#pragma once
// What the Lua hooks see of a request, a response and a pool's backends: small interfaces the
// proxy implements (lua/ never includes proxy/ or upstream/). Called on the worker that owns
// the request, only while one of its hooks runs; the views returned must stay valid for that.

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

namespace tidegate::lua {

// One header as a script passes it (tg.respond); valid only during the call that receives it.
struct HeaderRef {
  std::string_view name;
  std::string_view value;
};

// State the hooks keep for one request between calls; the proxy only stores it (tg.var).
struct HookRequestState {
  int var_ref = -2;  // LUA_NOREF: tg.var not created yet
};

// The request as on_request, balance, on_response and on_log see it. Every name and value
// handed to a setter has been validated by lua/ first: header names are tokens, header values
// hold no CR, LF or NUL, methods are tokens, paths start with '/' and hold visible ASCII only,
// queries hold visible ASCII only. Framing and hop-by-hop headers (Content-Length,
// Transfer-Encoding, Connection, ...) are refused before they reach the setters.
class RequestContext {
 public:
  // The proxy must have ended the request's Lua state (runOnLog or finishRequest).
  virtual ~RequestContext() { assert(hook_state_.var_ref == -2 && "finishRequest not called"); }

  virtual std::string_view method() const = 0;
  virtual void setMethod(std::string_view method) = 0;
  // The path of the request target, without the query.
  virtual std::string_view path() const = 0;
  virtual void setPath(std::string_view path) = 0;
  // The query without the '?'; empty when there is none.
  virtual std::string_view query() const = 0;
  virtual void setQuery(std::string_view query) = 0;

  // The first field named `name` (case-insensitive); nullopt when absent.
  virtual std::optional<std::string_view> header(std::string_view name) const = 0;
  // Replaces every field named `name` with one field.
  virtual void setHeader(std::string_view name, std::string_view value) = 0;
  virtual void removeHeader(std::string_view name) = 0;

  virtual std::string_view clientIp() const = 0;
  virtual std::string_view routeName() const = 0;

  // Sends the request to another upstream pool of the configuration; false when no pool has
  // that name (the script gets nil, "unknown upstream").
  virtual bool setUpstream(std::string_view pool) = 0;

  // tg.respond in on_request: answer with this instead of forwarding. The proxy copies what it
  // needs; it adds Content-Length (and Date, Server, ...) itself. Called at most once.
  virtual void respond(int status, std::string_view body, const HeaderRef* headers,
                       size_t header_count) = 0;

  HookRequestState& hookState() { return hook_state_; }

 private:
  HookRequestState hook_state_;
};

// One backend of a pool: identity fixed for the life of its BackendSet, live numbers read on
// every access (the proxy reads its shared relaxed atomics). Any worker may read any view.
class BackendView {
 public:
  virtual ~BackendView() = default;
  virtual std::string_view id() const = 0;       // unique in its pool, e.g. "10.0.0.7:8080"
  virtual std::string_view address() const = 0;  // "host:port"
  virtual uint32_t weight() const = 0;
  virtual int32_t inflight() const = 0;  // requests in progress, all workers together
  virtual double ewmaMs() const = 0;     // smoothed response latency
  virtual double errorRate() const = 0;  // in [0, 1]
  virtual bool healthy() const = 0;      // not ejected, passing health checks
  // A custom metric the backend reports (e.g. "load"); false when it has none by that name.
  virtual bool metric(std::string_view name, double& out) const = 0;
};

// The backends of one pool, as `balance` gets them. Immutable: membership changes make a new
// set with a new generation (a process-wide increasing number, never reused). A VM caches the
// Lua array it builds for a set and rebuilds it only when the generation changes, keeping the
// newest set it saw of each pool alive through the shared_ptr.
class BackendSet {
 public:
  BackendSet(const void* pool, uint64_t generation) : pool_(pool), generation_(generation) {}
  virtual ~BackendSet() = default;

  const void* pool() const { return pool_; }  // identity of the pool across generations
  uint64_t generation() const { return generation_; }
  virtual size_t size() const = 0;
  virtual const BackendView& at(size_t index) const = 0;

 private:
  const void* pool_;
  uint64_t generation_;
};

// The response as on_response (read-write) and on_log (read-only) see it. Header values are
// validated as for RequestContext.
class ResponseContext {
 public:
  virtual ~ResponseContext() = default;

  virtual int status() const = 0;
  virtual void setStatus(int status) = 0;
  virtual std::optional<std::string_view> header(std::string_view name) const = 0;
  virtual void setHeader(std::string_view name, std::string_view value) = 0;
  virtual void removeHeader(std::string_view name) = 0;

  // The backend that answered: its set and index, or {nullptr, -1} for a response the
  // gateway made itself (tg.respond, errors).
  virtual std::pair<std::shared_ptr<const BackendSet>, int> backend() const = 0;

  // resp:keep_body(max) in on_response: keep a copy of the body as it streams to the client,
  // up to `max_bytes` (the stream itself is never held back). false when not supported.
  virtual bool keepBody(size_t max_bytes) = 0;
  // resp:body() in on_log: the kept copy; nullopt when none was asked for, the body was larger
  // than asked, or it did not complete.
  virtual std::optional<std::string_view> keptBody() const = 0;
};

// The times on_log reports, in milliseconds; negative when not applicable (no upstream).
struct LogTimings {
  double total_ms = 0;              // request head received -> response complete
  double upstream_connect_ms = -1;  // connect (0 for a pooled connection)
  double upstream_header_ms = -1;   // request sent -> response head received
  double upstream_total_ms = -1;    // request sent -> response complete
};

}  // namespace tidegate::lua
