#include "metrics/prometheus.h"

#include <charconv>
#include <cmath>

namespace tidegate::metrics {
namespace {

const char* typeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void appendUnsigned(std::string& out, uint64_t value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

// {a="x",b="y"} with an optional trailing le="…"; nothing when there are no labels at all.
void appendLabels(std::string& out, const FamilySpec& spec, const SeriesInfo& info,
                  std::string_view le = {}) {
  if (spec.label_names.empty() && le.empty()) return;
  out += '{';
  for (size_t i = 0; i < spec.label_names.size(); ++i) {
    if (i > 0) out += ',';
    out += spec.label_names[i];
    out += "=\"";
    appendLabelValue(out, info.label_values[i]);
    out += '"';
  }
  if (!le.empty()) {
    if (!spec.label_names.empty()) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

void appendSample(std::string& out, std::string_view name, std::string_view suffix,
                  const FamilySpec& spec, const SeriesInfo& info, std::string_view le = {}) {
  out += name;
  out += suffix;
  appendLabels(out, spec, info, le);
  out += ' ';
}

// value * scale, dividing when scale is 1/N so that 1500 us reads 0.0015 and not
// 0.0015000000000000002.
double scaled(uint64_t value, double scale) {
  const double inverse = std::round(1.0 / scale);
  if (inverse >= 1.0 && std::abs(1.0 / scale - inverse) < 1e-9 * inverse) {
    return static_cast<double>(value) / inverse;
  }
  return static_cast<double>(value) * scale;
}

}  // namespace

void appendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void appendHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void appendNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, end);
  }
}

void renderPrometheus(const SeriesRegistry& registry, const FoldedTotals& totals,
                      std::string& out) {
  std::string le;
  for (uint32_t f = 0; f < registry.familyCount(); ++f) {
    const Family& family = registry.family(FamilyId{f});
    const FamilySpec& spec = family.spec;
    bool header = false;
    for (const SeriesRef& ref : family.series) {
      if (ref.type == MetricType::kGauge &&
          (ref.index >= totals.gauges.size() || std::isnan(totals.gauges[ref.index]))) {
        continue;  // not folded yet, or a kLatest gauge nobody has set
      }
      if (!header) {
        header = true;
        out += "# HELP ";
        out += spec.name;
        out += ' ';
        appendHelp(out, spec.help);
        out += "\n# TYPE ";
        out += spec.name;
        out += ' ';
        out += typeName(spec.type);
        out += '\n';
      }
      const SeriesInfo& info = registry.info(ref);
      switch (ref.type) {
        case MetricType::kCounter: {
          appendSample(out, spec.name, "", spec, info);
          appendUnsigned(out, ref.index < totals.counters.size() ? totals.counters[ref.index] : 0);
          out += '\n';
          break;
        }
        case MetricType::kGauge: {
          appendSample(out, spec.name, "", spec, info);
          appendNumber(out, totals.gauges[ref.index]);
          out += '\n';
          break;
        }
        case MetricType::kHistogram: {
          static const Histogram kEmpty;
          const Histogram& h =
              ref.index < totals.histograms.size() ? totals.histograms[ref.index] : kEmpty;
          for (size_t b = 0; b < family.bucket_bounds.size(); ++b) {
            le.clear();
            appendNumber(le, spec.buckets[b]);
            appendSample(out, spec.name, "_bucket", spec, info, le);
            appendUnsigned(out, h.cumulativeCountAtOrBelow(family.bucket_bounds[b]));
            out += '\n';
          }
          appendSample(out, spec.name, "_bucket", spec, info, "+Inf");
          appendUnsigned(out, h.count());
          out += '\n';
          appendSample(out, spec.name, "_sum", spec, info);
          appendNumber(out, scaled(h.sum(), spec.scale));
          out += '\n';
          appendSample(out, spec.name, "_count", spec, info);
          appendUnsigned(out, h.count());
          out += '\n';
          break;
        }
      }
    }
  }
}

std::string renderPrometheus(const SeriesRegistry& registry, const FoldedTotals& totals) {
  std::string out;
  renderPrometheus(registry, totals, out);
  return out;
}

}  // namespace tidegate::metrics
