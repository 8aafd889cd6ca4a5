#pragma once
// Reads the Prometheus text exposition format 0.0.4, the other side of prometheus.h: what a
// backend serves on its own /metrics, for the gateway's backend scraper. Pure, no I/O, any
// thread (one parser per thread).
//
// Strict about the grammar, forgiving about its consequences: a line that breaks the format
// (a bad name, an unknown escape, a value Go's ParseFloat would refuse, an exemplar, a CR) is
// skipped and counted, never fatal, so that one bad line from a backend does not hide its other
// samples. What it accepts:
//   # HELP name docstring          # TYPE name counter|gauge|histogram|summary|untyped
//   # any other comment            (empty lines, and lines of blanks only)
//   name{label="value",...} value [timestamp]
// with blanks (spaces, tabs) allowed before the name, around the braces' tokens, and an
// optional trailing comma; label values unescaped from \\, \" and \n; values as decimal
// floats with an optional sign and exponent, or NaN, Inf, +Inf, -Inf (any case); timestamps as
// whole milliseconds. Exemplars (OpenMetrics) are not part of 0.0.4: such a line is malformed.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tidegate::metrics {

struct ExpositionLabel {
  std::string_view name;
  std::string value;  // unescaped
};

struct ExpositionSample {
  std::string_view name;
  std::span<const ExpositionLabel> labels;  // in line order, names unique
  double value = 0;
  std::optional<int64_t> timestamp_ms;

  // The value of label `name`; nullptr when the sample does not carry it.
  const std::string* label(std::string_view name) const {
    for (const ExpositionLabel& l : labels)
      if (l.name == name) return &l.value;
    return nullptr;
  }
};

struct ExpositionStats {
  size_t samples = 0;
  size_t malformed = 0;          // lines skipped
  size_t first_malformed = 0;    // its line number (1-based); 0: none
  std::string_view first_error;  // why, a static string; empty: none
};

class ExpositionParser {
 public:
  // `text` must outlive the parser and the samples it returns.
  explicit ExpositionParser(std::string_view text) : rest_(text) {}

  // The next well-formed sample, or nullptr at the end of the text. The sample (its names and
  // label values) stays valid until the next call.
  const ExpositionSample* next();
  const ExpositionStats& stats() const { return stats_; }

 private:
  // Empty: the line was a sample (in sample_); else why it is malformed. `*is_sample` is false
  // for comments and blank lines.
  std::string_view parseLine(std::string_view line, bool* is_sample);
  std::string_view parseComment(std::string_view line);
  std::string_view parseLabels(std::string_view line, size_t& pos);

  std::string_view rest_;
  size_t line_number_ = 0;
  ExpositionStats stats_;
  ExpositionSample sample_;
  std::vector<ExpositionLabel> labels_;  // reused: capacity kept across lines
  size_t label_count_ = 0;
};

}  // namespace tidegate::metrics
