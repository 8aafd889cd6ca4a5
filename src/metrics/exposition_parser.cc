#include "metrics/exposition_parser.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace tidegate::metrics {
namespace {

bool isBlank(char c) {
  return c == ' ' || c == '\t';
}
bool isNameStart(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}
bool isNameChar(char c, bool colon) {
  return isNameStart(c, colon) || (c >= '0' && c <= '9');
}

void skipBlanks(std::string_view line, size_t& pos) {
  while (pos < line.size() && isBlank(line[pos]))
    ++pos;
}

// A metric name at `pos` (colons allowed) or a label name; empty when there is none.
std::string_view readName(std::string_view line, size_t& pos, bool colon) {
  const size_t start = pos;
  if (pos == line.size() || !isNameStart(line[pos], colon)) return {};
  while (pos < line.size() && isNameChar(line[pos], colon))
    ++pos;
  return line.substr(start, pos - start);
}

std::string_view readToken(std::string_view line, size_t& pos) {
  const size_t start = pos;
  while (pos < line.size() && !isBlank(line[pos]))
    ++pos;
  return line.substr(start, pos - start);
}

bool equalsNoCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char c = (a[i] >= 'A' && a[i] <= 'Z') ? char(a[i] + 32) : a[i];
    if (c != lower[i]) return false;
  }
  return true;
}

// What Go's strconv.ParseFloat reads in decimal (exposition values are written for it).
std::optional<double> parseValue(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  if (equalsNoCase(text, "nan")) return std::numeric_limits<double>::quiet_NaN();
  if (equalsNoCase(text, "inf") || equalsNoCase(text, "infinity"))
    return negative ? -HUGE_VAL : HUGE_VAL;
  // from_chars also reads "inf", "nan" and hex digits: only decimal syntax gets this far.
  if (!(text[0] >= '0' && text[0] <= '9') && text[0] != '.') return std::nullopt;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (end != text.data() + text.size()) return std::nullopt;
  // Out of range: Go answers ±Inf (or 0) with an error; a backend meant something else.
  if (ec != std::errc()) return std::nullopt;
  return negative ? -value : value;
}

}  // namespace

const ExpositionSample* ExpositionParser::next() {
  while (!rest_.empty()) {
    const size_t newline = rest_.find('\n');
    const std::string_view line = rest_.substr(0, newline);
    rest_ = newline == std::string_view::npos ? std::string_view() : rest_.substr(newline + 1);
    ++line_number_;
    bool is_sample = false;
    const std::string_view error = parseLine(line, &is_sample);
    if (!error.empty()) {
      if (stats_.malformed++ == 0) {
        stats_.first_malformed = line_number_;
        stats_.first_error = error;
      }
      continue;
    }
    if (is_sample) {
      ++stats_.samples;
      return &sample_;
    }
  }
  return nullptr;
}

std::string_view ExpositionParser::parseLine(std::string_view line, bool* is_sample) {
  size_t pos = 0;
  skipBlanks(line, pos);
  if (pos == line.size()) return {};
  if (line[pos] == '#') return parseComment(line.substr(pos + 1));

  sample_.name = readName(line, pos, true);
  if (sample_.name.empty()) return "expected a metric name";
  label_count_ = 0;
  skipBlanks(line, pos);
  if (pos < line.size() && line[pos] == '{') {
    ++pos;
    if (std::string_view error = parseLabels(line, pos); !error.empty()) return error;
    skipBlanks(line, pos);
  }
  sample_.labels = std::span<const ExpositionLabel>(labels_.data(), label_count_);
  if (pos == line.size()) return "expected a value";
  std::optional<double> value = parseValue(readToken(line, pos));
  if (!value) return "invalid value";
  sample_.value = *value;
  sample_.timestamp_ms.reset();
  skipBlanks(line, pos);
  if (pos < line.size()) {
    const std::string_view token = readToken(line, pos);
    int64_t ms = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), ms);
    if (ec != std::errc() || end != token.data() + token.size()) return "invalid timestamp";
    sample_.timestamp_ms = ms;
    skipBlanks(line, pos);
    if (pos < line.size()) return "unexpected text after the timestamp";
  }
  *is_sample = true;
  return {};
}

// After '#': HELP and TYPE lines are checked, any other comment is ignored.
std::string_view ExpositionParser::parseComment(std::string_view line) {
  size_t pos = 0;
  skipBlanks(line, pos);
  if (pos == 0) return {};  // "#HELP" is a comment like any other
  const std::string_view keyword = readToken(line, pos);
  if (keyword != "HELP" && keyword != "TYPE") return {};
  skipBlanks(line, pos);
  if (readName(line, pos, true).empty()) return "expected a metric name after HELP or TYPE";
  if (pos < line.size() && !isBlank(line[pos])) return "invalid metric name after HELP or TYPE";
  skipBlanks(line, pos);
  if (keyword == "HELP") return {};  // the docstring is free text
  const std::string_view type = readToken(line, pos);
  skipBlanks(line, pos);
  if (pos < line.size()) return "unexpected text after the TYPE";
  for (std::string_view known : {"counter", "gauge", "histogram", "summary", "untyped"})
    if (type == known) return {};
  return "unknown metric type";
}

// After '{': labels up to and including '}'.
std::string_view ExpositionParser::parseLabels(std::string_view line, size_t& pos) {
  for (;;) {
    skipBlanks(line, pos);
    if (pos < line.size() && line[pos] == '}') {
      ++pos;
      return {};
    }
    const std::string_view name = readName(line, pos, false);
    if (name.empty()) return "expected a label name";
    for (size_t i = 0; i < label_count_; ++i)
      if (labels_[i].name == name) return "duplicate label name";
    skipBlanks(line, pos);
    if (pos == line.size() || line[pos] != '=') return "expected '=' after a label name";
    ++pos;
    skipBlanks(line, pos);
    if (pos == line.size() || line[pos] != '"') return "expected a quoted label value";
    ++pos;
    if (label_count_ == labels_.size()) labels_.emplace_back();
    ExpositionLabel& label = labels_[label_count_++];
    label.name = name;
    label.value.clear();
    for (;;) {
      if (pos == line.size()) return "unterminated label value";
      const char c = line[pos++];
      if (c == '"') break;
      if (c != '\\') {
        label.value.push_back(c);
        continue;
      }
      const char e = pos < line.size() ? line[pos++] : '\0';
      if (e == '\\' || e == '"') {
        label.value.push_back(e);
      } else if (e == 'n') {
        label.value.push_back('\n');
      } else {
        return "invalid escape in a label value";
      }
    }
    skipBlanks(line, pos);
    if (pos < line.size() && line[pos] == ',') {
      ++pos;
    } else if (pos == line.size() || line[pos] != '}') {
      return "expected ',' or '}' after a label";
    }
  }
}

}  // namespace tidegate::metrics
