#include "metrics/window.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace tidegate::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Nearest-rank percentile of a sample (reorders it).
double nearestRank(std::vector<double>& values, double q) {
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  rank = std::clamp<size_t>(rank, 1, values.size());
  std::nth_element(values.begin(), values.begin() + (rank - 1), values.end());
  return values[rank - 1];
}

}  // namespace

std::optional<Agg> Agg::parse(std::string_view text) {
  struct Named {
    std::string_view name;
    Kind kind;
  };
  static constexpr Named kNames[] = {
      {"rate", Kind::kRate}, {"sum", Kind::kSum}, {"count", Kind::kCount}, {"avg", Kind::kAvg},
      {"min", Kind::kMin},   {"max", Kind::kMax}, {"last", Kind::kLast}};
  for (const Named& n : kNames) {
    if (text == n.name) return of(n.kind);
  }
  if (text == "p999") return percentile(0.999);
  if (text == "p9999") return percentile(0.9999);
  if (text.size() < 2 || text[0] != 'p') return std::nullopt;
  const std::string_view digits = text.substr(1);
  if (digits.front() < '0' || digits.front() > '9') return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value,
                                         std::chars_format::fixed);
  if (ec != std::errc() || end != digits.data() + digits.size() || value < 0 || value > 100) {
    return std::nullopt;
  }
  return percentile(value / 100.0);
}

WindowStore::WindowStore() = default;

void WindowStore::grow(const ShardLayout& layout, int64_t second) {
  if (layout.counters > counter_born_.size()) {
    counters_.resize(size_t{layout.counters} * kSeconds, 0);
    counter_born_.resize(layout.counters, second);
  }
  if (layout.gauges > gauge_born_.size()) {
    gauges_.resize(size_t{layout.gauges} * kSeconds, kNaN);
    gauge_born_.resize(layout.gauges, second);
  }
  if (layout.histograms > histogram_born_.size()) {
    histograms_.resize(size_t{layout.histograms} * kSeconds);
    histogram_born_.resize(layout.histograms, second);
  }
}

void WindowStore::clearSlot(size_t slot) {
  for (size_t s = 0; s < counter_born_.size(); ++s)
    counters_[s * kSeconds + slot] = 0;
  for (size_t s = 0; s < gauge_born_.size(); ++s)
    gauges_[s * kSeconds + slot] = kNaN;
  for (size_t s = 0; s < histogram_born_.size(); ++s) {
    HistogramSlot& h = histograms_[s * kSeconds + slot];
    h.count = 0;
    h.sum = 0;
    h.buckets.clear();  // keeps its capacity: no allocation next time round
  }
}

void WindowStore::beginSecond(int64_t second, const ShardLayout& layout) {
  if (!started_) {
    started_ = true;
    last_second_ = second;
    grow(layout, second);
    clearSlot(slotOf(second));
    return;
  }
  if (second <= last_second_) {  // the same second again (or a clock that stepped back)
    grow(layout, last_second_);
    return;
  }
  const int64_t gap = std::min(second - last_second_, kSeconds);
  for (int64_t k = 0; k < gap; ++k)
    clearSlot(slotOf(second - k));
  last_second_ = second;
  grow(layout, second);
}

void WindowStore::addCounter(CounterId id, uint64_t delta) {
  if (!started_ || id.index >= counter_born_.size()) return;
  counters_[size_t{id.index} * kSeconds + slotOf(last_second_)] += delta;
}

void WindowStore::setGauge(GaugeId id, double value) {
  if (!started_ || id.index >= gauge_born_.size()) return;
  gauges_[size_t{id.index} * kSeconds + slotOf(last_second_)] = value;
}

void WindowStore::addHistogram(HistogramId id, const Histogram& delta) {
  std::vector<BucketDelta> buckets;
  delta.forEachBucket([&](const HistogramBucket& b) { buckets.push_back({b.index, b.count}); });
  addHistogram(id, buckets, delta.sum());
}

void WindowStore::addHistogram(HistogramId id, std::span<const BucketDelta> buckets, uint64_t sum) {
  if (!started_ || id.index >= histogram_born_.size()) return;
  HistogramSlot& slot = histograms_[size_t{id.index} * kSeconds + slotOf(last_second_)];
  slot.sum += sum;
  if (buckets.empty()) return;
  auto clamp32 = [](uint64_t n) {
    return static_cast<uint32_t>(std::min<uint64_t>(n, std::numeric_limits<uint32_t>::max()));
  };
  uint64_t count = 0;
  if (slot.buckets.empty()) {
    for (const BucketDelta& b : buckets) {
      slot.buckets.push_back({b.index, clamp32(b.count)});
      count += b.count;
    }
  } else {  // a second folded twice: merge two ascending lists
    std::vector<BucketCount> merged;
    merged.reserve(slot.buckets.size() + buckets.size());
    size_t i = 0;
    for (const BucketDelta& b : buckets) {
      while (i < slot.buckets.size() && slot.buckets[i].index < b.index) {
        merged.push_back(slot.buckets[i++]);
      }
      if (i < slot.buckets.size() && slot.buckets[i].index == b.index) {
        merged.push_back({b.index, clamp32(slot.buckets[i++].count + b.count)});
      } else {
        merged.push_back({b.index, clamp32(b.count)});
      }
      count += b.count;
    }
    merged.insert(merged.end(), slot.buckets.begin() + static_cast<std::ptrdiff_t>(i),
                  slot.buckets.end());
    slot.buckets.swap(merged);
  }
  slot.count += count;
}

std::optional<double> WindowStore::query(SeriesRef series, Agg agg,
                                         std::chrono::seconds window) const {
  return query(std::span<const SeriesRef>(&series, 1), agg, window);
}

std::optional<double> WindowStore::query(std::span<const SeriesRef> series, Agg agg,
                                         std::chrono::seconds window) const {
  if (!started_ || series.empty() || window.count() <= 0) return std::nullopt;
  if (agg.kind == Agg::Kind::kPercentile && !(agg.quantile >= 0.0 && agg.quantile <= 1.0)) {
    return std::nullopt;
  }
  const MetricType type = series.front().type;
  int64_t born = std::numeric_limits<int64_t>::max();
  for (const SeriesRef& ref : series) {
    if (ref.type != type) return std::nullopt;
    const std::vector<int64_t>& borns = type == MetricType::kCounter ? counter_born_
                                        : type == MetricType::kGauge ? gauge_born_
                                                                     : histogram_born_;
    if (ref.index >= borns.size()) return std::nullopt;
    born = std::min(born, borns[ref.index]);
  }
  const int64_t span = std::min<int64_t>(window.count(), kSeconds);
  const int64_t first = std::max(last_second_ - span + 1, born);
  if (first > last_second_) return std::nullopt;
  if (type == MetricType::kHistogram) return queryHistograms(series, agg, first, last_second_);
  return queryScalars(series, agg, first, last_second_);
}

std::optional<double> WindowStore::queryScalars(std::span<const SeriesRef> series, Agg agg,
                                                int64_t first, int64_t last) const {
  const bool counter = series.front().type == MetricType::kCounter;
  std::vector<double> values;  // one per second (counters) or per second with a sample (gauges)
  values.reserve(static_cast<size_t>(last - first + 1));
  for (int64_t second = first; second <= last; ++second) {
    const size_t slot = slotOf(second);
    double total = 0;
    bool sampled = counter;
    for (const SeriesRef& ref : series) {
      if (counter) {
        total += static_cast<double>(counters_[size_t{ref.index} * kSeconds + slot]);
      } else if (const double v = gauges_[size_t{ref.index} * kSeconds + slot]; !std::isnan(v)) {
        total += v;
        sampled = true;
      }
    }
    if (sampled) values.push_back(total);
  }
  if (values.empty()) return std::nullopt;
  double sum = 0;
  for (double v : values)
    sum += v;
  switch (agg.kind) {
    case Agg::Kind::kRate:
      if (!counter) return std::nullopt;
      return sum / static_cast<double>(values.size());
    case Agg::Kind::kSum:
      if (!counter) return std::nullopt;
      return sum;
    case Agg::Kind::kCount:
      return counter ? sum : static_cast<double>(values.size());
    case Agg::Kind::kAvg:
      return sum / static_cast<double>(values.size());
    case Agg::Kind::kMin:
      return *std::min_element(values.begin(), values.end());
    case Agg::Kind::kMax:
      return *std::max_element(values.begin(), values.end());
    case Agg::Kind::kLast:
      return values.back();
    case Agg::Kind::kPercentile:
      return nearestRank(values, agg.quantile);
  }
  return std::nullopt;
}

std::optional<double> WindowStore::queryHistograms(std::span<const SeriesRef> series, Agg agg,
                                                   int64_t first, int64_t last) const {
  uint64_t count = 0;
  uint64_t sum = 0;
  for (int64_t second = first; second <= last; ++second) {
    for (const SeriesRef& ref : series) {
      const HistogramSlot& slot = histograms_[size_t{ref.index} * kSeconds + slotOf(second)];
      count += slot.count;
      sum += slot.sum;
    }
  }
  const double seconds = static_cast<double>(last - first + 1);
  switch (agg.kind) {
    case Agg::Kind::kRate:
      return static_cast<double>(count) / seconds;
    case Agg::Kind::kCount:
      return static_cast<double>(count);
    case Agg::Kind::kSum:
      return static_cast<double>(sum);
    case Agg::Kind::kAvg:
      if (count == 0) return std::nullopt;
      return static_cast<double>(sum) / static_cast<double>(count);
    case Agg::Kind::kLast:
      return std::nullopt;
    case Agg::Kind::kMin:
    case Agg::Kind::kMax:
    case Agg::Kind::kPercentile:
      break;
  }
  if (count == 0) return std::nullopt;
  Histogram merged;
  for (int64_t second = first; second <= last; ++second) {
    for (const SeriesRef& ref : series) {
      const HistogramSlot& slot = histograms_[size_t{ref.index} * kSeconds + slotOf(second)];
      for (const BucketCount& b : slot.buckets)
        merged.addBucketCount(b.index, b.count);
    }
  }
  if (merged.empty()) return std::nullopt;
  if (agg.kind == Agg::Kind::kMin) return Histogram::bucketValue(merged.lowestIndex());
  if (agg.kind == Agg::Kind::kMax) return Histogram::bucketValue(merged.highestIndex());
  return merged.quantile(agg.quantile);
}

}  // namespace tidegate::metrics
