#pragma once
// A pool's backends as Lua's balance() sees them: lua::BackendView over an upstream::Backend
// (every number read live from its shared relaxed atomics) and the immutable set of one
// membership generation. Built by the control thread, read by any worker.

#include <memory>
#include <vector>

#include "lua/request_context.h"
#include "upstream/backend.h"

namespace tidegate::proxy {

class PoolBackendView final : public lua::BackendView {
 public:
  explicit PoolBackendView(upstream::BackendPtr backend) : backend_(std::move(backend)) {}

  std::string_view id() const override { return backend_->id(); }
  std::string_view address() const override { return backend_->id(); }
  uint32_t weight() const override { return backend_->weight(); }
  int32_t inflight() const override;
  double ewmaMs() const override;
  double errorRate() const override;
  bool healthy() const override;
  // "load": what the backend last reported in its pool's load header.
  bool metric(std::string_view name, double& out) const override;

  const upstream::Backend& backend() const { return *backend_; }

 private:
  upstream::BackendPtr backend_;
};

class PoolBackendSet final : public lua::BackendSet {
 public:
  // `pool`: an address that identifies the pool across generations.
  PoolBackendSet(const void* pool, uint64_t generation,
                 const std::vector<upstream::BackendPtr>& backends);

  size_t size() const override { return views_.size(); }
  const lua::BackendView& at(size_t index) const override { return views_[index]; }
  // Whether this set holds exactly `backends`, in order.
  bool sameAs(const std::vector<upstream::BackendPtr>& backends) const;

 private:
  std::vector<PoolBackendView> views_;
};

}  // namespace tidegate::proxy
