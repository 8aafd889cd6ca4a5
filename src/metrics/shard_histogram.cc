#include "metrics/shard_histogram.h"

namespace tidegate::metrics {

Histogram ShardHistogram::snapshot() const {
  Histogram h;
  count();  // acquire: what follows reflects at least this many records
  const uint32_t high = highestIndex();
  for (uint32_t i = lowestIndex(); i <= high && i < Histogram::kBucketCount; ++i) {
    h.addBucketCount(i, bucket(i));
  }
  h.addSum(sum());
  return h;
}

}  // namespace tidegate::metrics
