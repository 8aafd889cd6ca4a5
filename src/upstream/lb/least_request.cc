#include "upstream/lb/least_request.h"

namespace tidegate::upstream::lb {

const Backend* LeastRequestBalancer::pick(const PickContext& ctx) {
  return choices_.pick(ctx, [](const Backend& x, const Backend& y) {
    return inflightOf(x) * effectiveWeight(y) < inflightOf(y) * effectiveWeight(x);
  });
}

}  // namespace tidegate::upstream::lb
