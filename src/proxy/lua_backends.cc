#include "proxy/lua_backends.h"

#include <cmath>

#include "core/clock.h"

namespace tidegate::proxy {

int32_t PoolBackendView::inflight() const {
  return backend_->stats().inflight.load(std::memory_order_relaxed);
}

double PoolBackendView::ewmaMs() const {
  return backend_->stats().ewma_latency_us.load(std::memory_order_relaxed) / 1000.0;
}

double PoolBackendView::errorRate() const {
  return backend_->stats().error_rate.load(std::memory_order_relaxed);
}

bool PoolBackendView::healthy() const {
  return !backend_->ejected(coarseNowMs());
}

bool PoolBackendView::metric(std::string_view name, double& out) const {
  if (name == "load") {
    double load = backend_->stats().reported_load.load(std::memory_order_relaxed);
    if (std::isnan(load)) return false;
    out = load;
    return true;
  }
  // NaN is never stored (the scraper treats it as no sample), so a fresh value is a number.
  return scraped_ && scraped_->read(name, coarseNowMs(), out);
}

PoolBackendSet::PoolBackendSet(const void* pool, uint64_t generation,
                               const std::vector<upstream::BackendPtr>& backends,
                               const Scraped& scraped)
    : lua::BackendSet(pool, generation) {
  views_.reserve(backends.size());
  for (size_t i = 0; i < backends.size(); ++i)
    views_.emplace_back(backends[i], i < scraped.size() ? scraped[i] : nullptr);
}

bool PoolBackendSet::sameAs(const std::vector<upstream::BackendPtr>& backends,
                            const Scraped& scraped) const {
  if (backends.size() != views_.size()) return false;
  for (size_t i = 0; i < backends.size(); ++i) {
    if (&views_[i].backend() != backends[i].get()) return false;
    if (views_[i].scraped() != (i < scraped.size() ? scraped[i].get() : nullptr)) return false;
  }
  return true;
}

}  // namespace tidegate::proxy
