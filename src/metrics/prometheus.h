#pragma once
// The Prometheus text exposition format 0.0.4 (what GET /metrics serves): # HELP, # TYPE,
// samples with escaped labels, histograms as cumulative _bucket{le} series plus _sum and _count.
// Pure functions; call them on the thread that owns the totals (the control thread).

#include <string>
#include <string_view>

#include "metrics/aggregator.h"
#include "metrics/series_registry.h"

namespace tidegate::metrics {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// Appends every family that has at least one series, in declaration order, series in creation
// order. Histogram values and `le` bounds are scaled to exposed units (FamilySpec::scale);
// a kLatest gauge that was never written is left out.
void renderPrometheus(const SeriesRegistry& registry, const FoldedTotals& totals, std::string& out);
std::string renderPrometheus(const SeriesRegistry& registry, const FoldedTotals& totals);

// Building blocks, exposed for tests.
// Label values: \ -> \\, " -> \", newline -> \n.
void appendLabelValue(std::string& out, std::string_view value);
// HELP text: \ -> \\, newline -> \n.
void appendHelp(std::string& out, std::string_view help);
// Shortest text that reads back as the same double; NaN, +Inf, -Inf as Prometheus spells them.
void appendNumber(std::string& out, double value);

}  // namespace tidegate::metrics
