#include "echo/worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>

#include "echo/plan.h"
#include "echo/response.h"

namespace tidegate::echo {
namespace {

int64_t monotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// --cpu: burn the worker's CPU, as a handler doing real work would.
void spin(int64_t ns) {
  int64_t until = monotonicNs() + ns;
  while (monotonicNs() < until) {
  }
}

bool isTransient(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

}  // namespace

Worker::Worker(const Options& options, std::string_view backend_id, SlotPool* slots,
               LiveCounters* counters, int listen_fd, int index)
    : options_(options),
      backend_id_(backend_id),
      slots_(slots),
      counters_(counters),
      listen_fd_(listen_fd),
      random_state_((options.seed != 0 ? options.seed : uint64_t(monotonicNs())) +
                    0x9e3779b97f4a7c15ULL * uint64_t(index + 1)) {
  if (random_state_ == 0) random_state_ = 1;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  for (int fd : {listen_fd_, event_fd_, timer_fd_}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }

  ResponseShape shape;
  shape.chunked = options.chunked;
  appendHead(fixed_response_, shape, backend_id_, "text/plain", options.body.size());
  appendBody(fixed_response_, shape, options.body);

  sweep_interval_ns_ = std::clamp<int64_t>(options.idle_timeout_ns / 4, 10'000'000, 1'000'000'000);
  now_ns_ = monotonicNs();
  addTimer({now_ns_ + sweep_interval_ns_, -1, 0});
}

Worker::~Worker() {
  for (auto& conn : by_fd_) {
    if (!conn) continue;
    // At shutdown other workers may already be gone: handing them a slot would touch a
    // destroyed object, and nobody needs it any more.
    conn->holds_slot = false;
    closeConnection(*conn);
  }
  for (int fd : {listen_fd_, epoll_fd_, event_fd_, timer_fd_}) {
    if (fd >= 0) close(fd);
  }
}

void Worker::run() {
  epoll_event events[256];
  while (!stopping_.load(std::memory_order_acquire)) {
    int n = epoll_wait(epoll_fd_, events, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("tidegate-echo: epoll_wait");
      return;
    }
    now_ns_ = monotonicNs();
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        acceptAll();
      } else if (fd == event_fd_) {
        uint64_t count;
        [[maybe_unused]] ssize_t r = read(event_fd_, &count, sizeof count);
        processInbox();
      } else if (fd == timer_fd_) {
        uint64_t expirations;
        [[maybe_unused]] ssize_t r = read(timer_fd_, &expirations, sizeof expirations);
        runTimers();
      } else {
        onConnectionEvent(fd, events[i].events);
      }
    }
  }
}

void Worker::stop() {
  stopping_.store(true, std::memory_order_release);
  wake();
}

void Worker::wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t r = write(event_fd_, &one, sizeof one);
}

void Worker::grantSlot(int fd, uint32_t generation) {
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_.emplace_back(fd, generation);
  }
  wake();
}

void Worker::processInbox() {
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_work_.swap(inbox_);
  }
  for (auto [fd, generation] : inbox_work_) {
    Connection* conn = find(fd, generation);
    if (conn == nullptr || conn->phase != Phase::kWaitingSlot) {
      slots_->release();  // the request left while queued: pass the slot on
      continue;
    }
    conn->holds_slot = true;
    if (serve(*conn)) {
      finishRequest(*conn);
      advance(*conn);
    }
  }
  inbox_work_.clear();
}

Connection* Worker::find(int fd, uint32_t generation) {
  if (fd < 0 || size_t(fd) >= by_fd_.size()) return nullptr;
  Connection* conn = by_fd_[fd].get();
  return conn != nullptr && conn->generation == generation ? conn : nullptr;
}

void Worker::acceptAll() {
  for (int i = 0; i < 64; ++i) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (!isTransient(errno) && errno != ECONNABORTED && !accept_warned_) {
        std::fprintf(stderr, "tidegate-echo: accept: %s\n", std::strerror(errno));
        accept_warned_ = true;
      }
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    std::unique_ptr<Connection> conn;
    if (!spare_.empty()) {
      conn = std::move(spare_.back());
      spare_.pop_back();
    } else {
      conn = std::make_unique<Connection>();
      conn->in = std::make_unique<char[]>(kInitialBuffer);
      conn->in_capacity = kInitialBuffer;
    }
    Connection& c = *conn;
    c.fd = fd;
    c.generation = next_generation_++;
    c.phase = Phase::kHead;
    c.in_length = c.request_begin = c.head_scanned = c.request_end = 0;
    c.body.clear();
    c.out.clear();
    c.out_sent = 0;
    c.close_after_flush = c.peer_closed = c.holds_slot = c.in_flight = false;
    c.last_active_ns = now_ns_;
    c.events = EPOLLIN;
    if (size_t(fd) >= by_fd_.size()) by_fd_.resize(size_t(fd) * 2 + 64);
    by_fd_[fd] = std::move(conn);

    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void Worker::onConnectionEvent(int fd, uint32_t events) {
  if (size_t(fd) >= by_fd_.size() || !by_fd_[fd]) return;
  Connection& conn = *by_fd_[fd];
  if (events & EPOLLERR) {
    closeConnection(conn);
    return;
  }
  if (conn.phase == Phase::kLingering) {
    char sink[4096];
    ssize_t n = recv(fd, sink, sizeof sink, 0);
    if (n == 0 || (n < 0 && !isTransient(errno))) closeConnection(conn);
    return;
  }
  bool waiting = conn.phase == Phase::kWaitingSlot || conn.phase == Phase::kInService;
  if ((events & EPOLLHUP) && waiting) {
    closeConnection(conn);  // the client is gone; nobody will read the answer
    return;
  }
  if (events & EPOLLOUT) {
    if (!flush(conn)) return;
    advance(conn);  // reading may have paused behind the unsent output
    return;
  }
  // An EPOLLIN reported before this batch's timer or grant put the request in service:
  // the request's input stays put until it is answered.
  if (waiting) return;
  if (events & (EPOLLIN | EPOLLHUP)) readInput(conn);
}

bool Worker::growInput(Connection& conn) {
  size_t limit = kMaxHeadBytes + 2 * options_.max_body + 64 * 1024;
  if (conn.in_capacity >= limit) return false;
  size_t capacity = std::min(conn.in_capacity * 2, limit);
  auto bigger = std::make_unique<char[]>(capacity);
  std::memcpy(bigger.get(), conn.in.get(), conn.in_length);
  // The parsed head's views must follow the bytes they point at.
  if (conn.phase == Phase::kBody) {
    auto rebase = [&](std::string_view& view) {
      view = std::string_view(bigger.get() + (view.data() - conn.in.get()), view.size());
    };
    rebase(conn.head.method);
    rebase(conn.head.target);
  }
  conn.in = std::move(bigger);
  conn.in_capacity = capacity;
  return true;
}

void Worker::readInput(Connection& conn) {
  if (conn.in_capacity - conn.in_length < 4096 && conn.request_begin > 0 &&
      conn.phase == Phase::kHead) {
    std::memmove(conn.in.get(), conn.in.get() + conn.request_begin,
                 conn.in_length - conn.request_begin);
    conn.in_length -= conn.request_begin;
    conn.request_begin = 0;
  }
  if (conn.in_length == conn.in_capacity && !growInput(conn)) {
    respondError(conn, 413);
    advance(conn);
    return;
  }
  ssize_t n = recv(conn.fd, conn.in.get() + conn.in_length, conn.in_capacity - conn.in_length, 0);
  if (n > 0) {
    conn.in_length += size_t(n);
    conn.last_active_ns = now_ns_;
  } else if (n == 0) {
    conn.peer_closed = true;
    conn.close_after_flush = true;
  } else if (isTransient(errno)) {
    return;
  } else {
    closeConnection(conn);
    return;
  }
  advance(conn);
}

void Worker::advance(Connection& conn) {
  bool more = true;
  while (more) {
    switch (conn.phase) {
      case Phase::kHead: {
        if (conn.close_after_flush) {
          more = false;
          break;
        }
        if (conn.pendingOutput() > kHighWater) {
          // Pipelined responses piling up: write before answering more, and pause (EPOLLOUT
          // resumes us) only when the client really is not reading.
          if (!flush(conn)) return;
          if (conn.pendingOutput() > kHighWater) {
            more = false;
            break;
          }
        }
        if (conn.request_begin == conn.in_length) {
          conn.request_begin = conn.in_length = 0;  // all answered: reuse from the start
          more = false;
          break;
        }
        // Tolerate blank lines between requests (RFC 9112 section 2.2).
        while (conn.in_length - conn.request_begin >= 2 && conn.in[conn.request_begin] == '\r' &&
               conn.in[conn.request_begin + 1] == '\n') {
          conn.request_begin += 2;
        }
        std::string_view data(conn.in.get() + conn.request_begin,
                              conn.in_length - conn.request_begin);
        int status = 0;
        ParseResult result = parseRequestHead(data, conn.head_scanned, conn.head, status);
        if (result == ParseResult::kIncomplete) {
          more = false;
        } else if (result == ParseResult::kError) {
          respondError(conn, status);
        } else {
          beginBody(conn);
        }
        break;
      }
      case Phase::kBody:
        more = completeRequest(conn);
        break;
      case Phase::kWaitingSlot:
      case Phase::kInService:
      case Phase::kLingering:
        more = false;
        break;
    }
  }
  if (conn.pendingOutput() > 0 && !flush(conn)) return;
  if (conn.close_after_flush && conn.pendingOutput() == 0 &&
      (conn.phase == Phase::kHead || conn.phase == Phase::kBody)) {
    if (conn.peer_closed) {
      closeConnection(conn);
    } else {
      startLinger(conn);
    }
    return;
  }
  updateInterest(conn);
}

void Worker::beginBody(Connection& conn) {
  conn.phase = Phase::kBody;
  conn.chunked.reset();
  conn.body.clear();
  conn.continue_sent = false;
  std::string_view path = conn.head.target.substr(0, conn.head.target.find('?'));
  conn.keep_body = conn.head.chunked && path.ends_with("/echo");
  if (!conn.head.chunked && conn.head.content_length > options_.max_body) {
    respondError(conn, 413);
  }
}

// Returns true when the request was answered at once and the next one may be parsed.
bool Worker::completeRequest(Connection& conn) {
  size_t body_begin = conn.request_begin + conn.head.length;
  std::string_view data(conn.in.get() + body_begin, conn.in_length - body_begin);
  size_t body_end;
  if (conn.head.chunked) {
    int status = 0;
    ParseResult result =
        conn.chunked.decode(data, conn.keep_body ? &conn.body : nullptr, options_.max_body, status);
    if (result == ParseResult::kError) {
      respondError(conn, status);
      return true;
    }
    body_end = result == ParseResult::kComplete ? conn.chunked.end() : 0;
    if (result == ParseResult::kIncomplete) body_end = SIZE_MAX;
  } else {
    body_end = data.size() >= conn.head.content_length ? conn.head.content_length : SIZE_MAX;
  }
  if (body_end == SIZE_MAX) {
    // Body still arriving: a client that asked to wait for 100 Continue gets it now.
    if (conn.head.expect_continue && conn.head.minor_version >= 1 && !conn.continue_sent) {
      conn.out.append("HTTP/1.1 100 Continue\r\n\r\n");
      conn.continue_sent = true;
    }
    return false;
  }
  conn.request_end = body_begin + body_end;
  planRequest(conn);
  if (conn.plan.counted) {
    counters_->inflight.fetch_add(1, std::memory_order_relaxed);
    conn.in_flight = true;
  }
  if (conn.plan.uses_slot) {
    if (!slots_->acquire(*this, conn.fd, conn.generation)) {
      conn.phase = Phase::kWaitingSlot;
      return false;
    }
    conn.holds_slot = true;
  }
  if (!serve(conn)) return false;
  finishRequest(conn);
  return true;
}

void Worker::planRequest(Connection& conn) {
  double fail_draw = options_.fail_rate > 0 ? nextUnit() : 1.0;
  double close_draw = options_.close_rate > 0 ? nextUnit() : 1.0;
  conn.plan = makePlan(conn.head, options_, fail_draw, close_draw);
}

// Runs the service part of a request (CPU, then latency). True when the response is
// written now; false when a timer will finish it.
bool Worker::serve(Connection& conn) {
  if (conn.plan.cpu_ns > 0) {
    spin(conn.plan.cpu_ns);
    now_ns_ = monotonicNs();
  }
  if (conn.plan.latency_ns > 0) {
    conn.phase = Phase::kInService;
    addTimer({monotonicNs() + conn.plan.latency_ns, conn.fd, conn.generation});
    return false;
  }
  writeResponse(conn);
  releaseSlot(conn);
  return true;
}

void Worker::writeResponse(Connection& conn) {
  const Plan& plan = conn.plan;
  endInFlight(conn, plan.cut != Plan::Cut::kBefore);
  if (plan.cut == Plan::Cut::kBefore) {
    conn.close_after_flush = true;
    return;
  }
  std::string& out = conn.out;
  if (plan.body == Plan::Body::kFixed && plan.shape.status == 200 && !plan.shape.close &&
      !plan.shape.keep_alive && !plan.shape.head_only && plan.cut == Plan::Cut::kNone) {
    out.append(fixed_response_);  // the benchmark's path: one copy of prepared bytes
  } else {
    std::string_view first;
    std::string_view second;
    std::string_view content_type = "text/plain";
    char reason[64];
    switch (plan.body) {
      case Plan::Body::kFixed:
        first = options_.body;
        break;
      case Plan::Body::kEcho: {
        first = std::string_view(conn.in.get() + conn.request_begin, conn.head.length);
        size_t body_begin = conn.request_begin + conn.head.length;
        second = conn.head.chunked
                     ? std::string_view(conn.body)
                     : std::string_view(conn.in.get() + body_begin, conn.head.content_length);
        break;
      }
      case Plan::Body::kReason: {
        int n = std::snprintf(reason, sizeof reason, "%d %.*s\n", plan.shape.status,
                              int(reasonPhrase(plan.shape.status).size()),
                              reasonPhrase(plan.shape.status).data());
        first = std::string_view(reason, size_t(n));
        break;
      }
      case Plan::Body::kSized:
        if (sized_body_.size() < plan.size) sized_body_.assign(plan.size, 'x');
        first = std::string_view(sized_body_.data(), plan.size);
        break;
      case Plan::Body::kMetrics:
        metrics_page_.clear();
        appendMetricsPage(metrics_page_, *counters_);
        first = metrics_page_;
        content_type = "text/plain; version=0.0.4; charset=utf-8";
        break;
    }
    size_t head_end =
        appendHead(out, plan.shape, backend_id_, content_type, first.size() + second.size());
    appendBody(out, plan.shape, first, second);
    if (plan.cut == Plan::Cut::kMid) out.resize(head_end + (out.size() - head_end) / 2);
  }
  if (plan.cut == Plan::Cut::kMid) {
    // The fast path never cuts, so `out` was cut above; the connection dies here.
    conn.close_after_flush = true;
  }
  if (plan.shape.close) conn.close_after_flush = true;
}

void Worker::finishRequest(Connection& conn) {
  conn.phase = Phase::kHead;
  conn.request_begin = conn.request_end;
  conn.head_scanned = 0;
  conn.last_active_ns = now_ns_;
}

void Worker::respondError(Connection& conn, int status) {
  ResponseShape shape;
  shape.status = status;
  shape.close = true;
  char body[64];
  int n = std::snprintf(body, sizeof body, "%d %.*s\n", status, int(reasonPhrase(status).size()),
                        reasonPhrase(status).data());
  appendHead(conn.out, shape, backend_id_, "text/plain", size_t(n));
  appendBody(conn.out, shape, std::string_view(body, size_t(n)));
  // Framing is unknown after an error: nothing more is read from this connection.
  conn.phase = Phase::kHead;
  conn.close_after_flush = true;
}

bool Worker::flush(Connection& conn) {
  while (conn.pendingOutput() > 0) {
    ssize_t n = send(conn.fd, conn.out.data() + conn.out_sent, conn.pendingOutput(), MSG_NOSIGNAL);
    if (n > 0) {
      conn.out_sent += size_t(n);
      conn.last_active_ns = now_ns_;  // a slow reader is not an idle one
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && isTransient(errno)) {
      break;
    } else {
      closeConnection(conn);
      return false;
    }
  }
  if (conn.pendingOutput() == 0) {
    conn.out.clear();
    conn.out_sent = 0;
  }
  return true;
}

void Worker::updateInterest(Connection& conn) {
  uint32_t want = 0;
  switch (conn.phase) {
    case Phase::kLingering:
      want = EPOLLIN;
      break;
    case Phase::kWaitingSlot:
    case Phase::kInService:
      break;  // pipelined input waits in the kernel until this request is answered
    case Phase::kHead:
    case Phase::kBody:
      if (!conn.close_after_flush && conn.pendingOutput() <= kHighWater) want = EPOLLIN;
      break;
  }
  if (conn.pendingOutput() > 0) want |= EPOLLOUT;
  if (want == conn.events) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.fd = conn.fd;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.fd, &ev);
  conn.events = want;
}

void Worker::startLinger(Connection& conn) {
  // Half-close and drain, so the peer sees every byte we sent followed by a clean FIN;
  // closing with unread input would reset the connection and could destroy the response.
  shutdown(conn.fd, SHUT_WR);
  conn.phase = Phase::kLingering;
  conn.linger_deadline_ns = now_ns_ + kLingerNs;
  conn.in_length = conn.request_begin = 0;
  updateInterest(conn);
}

void Worker::releaseSlot(Connection& conn) {
  if (!conn.holds_slot) return;
  conn.holds_slot = false;
  slots_->release();
}

void Worker::endInFlight(Connection& conn, bool answered) {
  if (!conn.in_flight) return;
  conn.in_flight = false;
  counters_->inflight.fetch_sub(1, std::memory_order_relaxed);
  if (answered) counters_->requests_total.fetch_add(1, std::memory_order_relaxed);
}

void Worker::closeConnection(Connection& conn) {
  releaseSlot(conn);
  endInFlight(conn, false);  // the client left while its request was in service
  int fd = conn.fd;
  close(fd);  // also removes it from the epoll set
  conn.fd = -1;
  conn.generation = 0;
  if (conn.in_capacity > 4 * kInitialBuffer) {
    conn.in = std::make_unique<char[]>(kInitialBuffer);
    conn.in_capacity = kInitialBuffer;
  }
  if (conn.out.capacity() > kHighWater) std::string().swap(conn.out);
  if (conn.body.capacity() > kHighWater) std::string().swap(conn.body);
  spare_.push_back(std::move(by_fd_[fd]));
}

void Worker::addTimer(const Timer& timer) {
  timers_.push_back(timer);
  std::push_heap(timers_.begin(), timers_.end(), std::greater<>());
  armTimerFd();
}

void Worker::armTimerFd() {
  if (timers_.empty() || timers_.front().deadline_ns == armed_ns_) return;
  armed_ns_ = timers_.front().deadline_ns;
  itimerspec spec{};
  spec.it_value.tv_sec = armed_ns_ / 1'000'000'000;
  spec.it_value.tv_nsec = armed_ns_ % 1'000'000'000;
  timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void Worker::runTimers() {
  armed_ns_ = 0;
  while (!timers_.empty() && timers_.front().deadline_ns <= monotonicNs()) {
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    Timer timer = timers_.back();
    timers_.pop_back();
    if (timer.fd < 0) {
      sweep();
      timers_.push_back({now_ns_ + sweep_interval_ns_, -1, 0});
      std::push_heap(timers_.begin(), timers_.end(), std::greater<>());
      continue;
    }
    Connection* conn = find(timer.fd, timer.generation);
    if (conn == nullptr || conn->phase != Phase::kInService) continue;
    writeResponse(*conn);
    releaseSlot(*conn);
    finishRequest(*conn);
    advance(*conn);
  }
  armTimerFd();
}

void Worker::sweep() {
  for (auto& owned : by_fd_) {
    if (!owned) continue;
    Connection& conn = *owned;
    // No bytes in or out for the timeout: an idle keep-alive connection, a stalled upload
    // or a client that stopped reading. A request in service is never idle.
    bool idle = (conn.phase == Phase::kHead || conn.phase == Phase::kBody) &&
                now_ns_ - conn.last_active_ns >= options_.idle_timeout_ns;
    bool lingered = conn.phase == Phase::kLingering && now_ns_ >= conn.linger_deadline_ns;
    if (idle || lingered) closeConnection(conn);
  }
}

double Worker::nextUnit() {
  // xorshift64*: failure injection needs speed, not cryptographic quality.
  random_state_ ^= random_state_ >> 12;
  random_state_ ^= random_state_ << 25;
  random_state_ ^= random_state_ >> 27;
  uint64_t x = random_state_ * 0x2545f4914f6cdd1dULL;
  return double(x >> 11) * 0x1.0p-53;
}

}  // namespace tidegate::echo
