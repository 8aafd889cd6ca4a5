// makeBalancer (declared in upstream/balancer.h): the one place that maps a BalanceKind to
// its implementation.

#include <memory>

#include "upstream/balancer.h"
#include "upstream/lb/consistent_hash.h"
#include "upstream/lb/ewma.h"
#include "upstream/lb/least_request.h"
#include "upstream/lb/round_robin.h"

namespace tidegate::upstream {

std::unique_ptr<Balancer> makeBalancer(BalanceKind kind, std::span<const BackendPtr> backends,
                                       uint64_t seed) {
  switch (kind) {
    case BalanceKind::kRoundRobin:
      return std::make_unique<lb::RoundRobinBalancer>(backends, seed);
    case BalanceKind::kLeastRequest:
      return std::make_unique<lb::LeastRequestBalancer>(backends, seed);
    case BalanceKind::kEwma:
      return std::make_unique<lb::EwmaBalancer>(backends, seed);
    case BalanceKind::kConsistentHash:
      return std::make_unique<lb::ConsistentHashBalancer>(backends, seed);
  }
  return std::make_unique<lb::RoundRobinBalancer>(backends, seed);
}

}  // namespace tidegate::upstream
