#pragma once
// A pool's backends as Lua's balance() sees them: lua::BackendView over an upstream::Backend
// (every number read live from its shared relaxed atomics) and the immutable set of one
// membership generation. Built by the control thread, read by any worker. A set holds the
// backends' ScrapedValues too, so that the names b:metric() reads stay what they were when the
// set was built (a reload that changes the scraped names makes a new set).

#include <memory>
#include <vector>

#include "lua/request_context.h"
#include "upstream/backend.h"
#include "upstream/scraped_values.h"

namespace tidegate::proxy {

class PoolBackendView final : public lua::BackendView {
 public:
  // `scraped` may be null: the pool scrapes nothing.
  PoolBackendView(upstream::BackendPtr backend,
                  std::shared_ptr<const upstream::ScrapedValues> scraped)
      : backend_(std::move(backend)), scraped_(std::move(scraped)) {}

  std::string_view id() const override { return backend_->id(); }
  std::string_view address() const override { return backend_->id(); }
  uint32_t weight() const override { return backend_->weight(); }
  int32_t inflight() const override;
  double ewmaMs() const override;
  double errorRate() const override;
  bool healthy() const override;
  // "load": what the backend last reported in its pool's load header; any other name: the
  // value scraped under that name while it is fresh.
  bool metric(std::string_view name, double& out) const override;

  const upstream::Backend& backend() const { return *backend_; }
  const upstream::ScrapedValues* scraped() const { return scraped_.get(); }

 private:
  upstream::BackendPtr backend_;
  std::shared_ptr<const upstream::ScrapedValues> scraped_;
};

class PoolBackendSet final : public lua::BackendSet {
 public:
  using Scraped = std::vector<std::shared_ptr<upstream::ScrapedValues>>;

  // `pool`: an address that identifies the pool across generations. `scraped`: empty (the pool
  // scrapes nothing) or one block per backend.
  PoolBackendSet(const void* pool, uint64_t generation,
                 const std::vector<upstream::BackendPtr>& backends, const Scraped& scraped = {});

  size_t size() const override { return views_.size(); }
  const lua::BackendView& at(size_t index) const override { return views_[index]; }
  // Whether this set holds exactly `backends` with these blocks, in order.
  bool sameAs(const std::vector<upstream::BackendPtr>& backends, const Scraped& scraped = {}) const;

 private:
  std::vector<PoolBackendView> views_;
};

}  // namespace tidegate::proxy
