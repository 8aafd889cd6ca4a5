#include "proxy/worker.h"

#include <array>
#include <cstring>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "core/clock.h"
#include "core/log.h"
#include "proxy/session.h"

namespace tidegate::proxy {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

asio::awaitable<void> acceptLoop(Worker& worker, asio::ip::tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // EMFILE and friends: back off briefly instead of spinning.
      log::warn("accept: {}", ec.message());
      asio::steady_timer t(worker.io(), std::chrono::milliseconds(50));
      co_await t.async_wait(kNoThrow);
      continue;
    }
    if (worker.draining()) continue;  // socket closes as it goes out of scope
    std::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    asio::co_spawn(worker.io(), runSession(worker, std::move(socket)), asio::detached);
  }
}

}  // namespace

Worker::Worker(int id, size_t buffer_size)
    : id_(id),
      io_(ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      buffers_(buffer_size),
      exchanges_(buffer_size + 4096),
      sweeper_(io_),
      upstream_sweep_timer_(io_) {
  rng_state_ = uint64_t(monotonicNowNs()) ^ (uint64_t(id) << 48) ^ uint64_t(getpid());
  sweeper_.start();
  startUpstreamSweep();
}

Worker::~Worker() {
  snapshot_.reset();
  upstreams_.clear();
}

Result<Ok> Worker::createLuaVm(lua::VmOptions options) {
  auto vm = lua::LuaVm::create(std::move(options));
  if (!vm) return vm.error();
  vm_ = std::move(vm.value());
  return Ok{};
}

void Worker::loadScripts(WorkerSnapshot& next) {
  const auto& set = next.shared->scripts;
  if (!set || !vm_) return;
  // Unchanged scripts (a reload that touched only other settings): keep the loaded ones, and
  // with them the scripts' module-level state.
  if (snapshot_ && snapshot_->shared->scripts == set) {
    next.scripts = snapshot_->scripts;
  } else {
    auto loaded = lua::LoadedScripts::load(*vm_, set);
    if (loaded) {
      next.scripts = std::move(loaded.value());
    } else if (snapshot_ && snapshot_->scripts) {
      // Checked on the control thread already, so this is a resource limit: the old scripts
      // stay in force on this worker.
      log::error("worker {}: scripts not loaded, keeping the previous ones: {}", id_,
                 loaded.error().message());
      next.scripts = snapshot_->scripts;
    } else {
      log::error("worker {}: scripts not loaded: {}", id_, loaded.error().message());
    }
  }
  if (!next.scripts) return;
  for (const Route& r : next.shared->router.routes()) {
    next.route_scripts.resize(std::max(next.route_scripts.size(), r.index + 1), nullptr);
    next.route_scripts[r.index] = next.scripts->find(r.name);
  }
}

void Worker::installSnapshot(std::shared_ptr<const Snapshot> snap) {
  auto* ws = new WorkerSnapshot;
  ws->shared = std::move(snap);
  for (const Pool& p : ws->shared->pools)
    ws->balancers.push_back(upstream::makeBalancer(p.balance, p.backends, random()));
  loadScripts(*ws);
  // Idle connections to backends that left every pool are of no further use.
  if (snapshot_) {
    for (const Pool& old_pool : snapshot_->shared->pools) {
      for (const auto& b : old_pool.backends) {
        bool kept = false;
        for (const Pool& p : ws->shared->pools)
          for (const auto& nb : p.backends)
            kept |= nb.get() == b.get();
        if (!kept) upstreams_.closeIdle(b.get());
      }
    }
  }
  snapshot_ = LocalRef<WorkerSnapshot>(ws);
}

void Worker::addListener(asio::ip::tcp::acceptor acceptor) {
  acceptors_.push_back(std::move(acceptor));
}

void Worker::run() {
  for (auto& a : acceptors_)
    asio::co_spawn(io_, acceptLoop(*this, a), asio::detached);
  io_.run();
}

void Worker::stopAccepting() {
  for (auto& a : acceptors_) {
    std::error_code ignored;
    a.close(ignored);
  }
}

void Worker::beginDrain() {
  draining_ = true;
  stopAccepting();
  for (IdleSession* s = idle_head_; s;) {
    IdleSession* next = s->next;
    std::error_code ignored;
    s->socket->cancel(ignored);
    s = next;
  }
  upstreams_.clear();
}

void Worker::linkIdle(IdleSession& s) {
  s.prev = nullptr;
  s.next = idle_head_;
  if (idle_head_) idle_head_->prev = &s;
  idle_head_ = &s;
}

void Worker::unlinkIdle(IdleSession& s) {
  if (s.prev)
    s.prev->next = s.next;
  else
    idle_head_ = s.next;
  if (s.next) s.next->prev = s.prev;
  s.prev = s.next = nullptr;
}

void Worker::startUpstreamSweep() {
  upstream_sweep_timer_.expires_after(std::chrono::milliseconds(500));
  upstream_sweep_timer_.async_wait([this](std::error_code ec) {
    if (ec) return;
    if (snapshot_)
      upstreams_.sweep(coarseNowMs(), snapshot_->shared->config->timeouts.upstream_idle_ms);
    startUpstreamSweep();
  });
}

uint64_t Worker::random() {
  return splitmix64(rng_state_);
}

namespace {

// Two hex digits per byte: an id takes 16 table loads instead of 32 shifts and masks.
constexpr auto kHexPairs = [] {
  std::array<char, 512> t{};
  constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 256; ++i) {
    t[2 * i] = kHex[i >> 4];
    t[2 * i + 1] = kHex[i & 15];
  }
  return t;
}();

// The 16 hex digits of `v`, most significant first.
void putHex64(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i, v >>= 8)
    std::memcpy(out + 2 * i, &kHexPairs[2 * (v & 0xff)], 2);
}

}  // namespace

void Worker::nextRequestId(char out[32]) {
  putHex64(random(), out);
  putHex64((uint64_t(id_) << 56) ^ ++request_counter_, out + 16);
}

}  // namespace tidegate::proxy
