#include "config/units.h"

#include <string>

namespace tidegate::config {
namespace {

// A non-negative decimal "123" or "1.25" read exactly as mantissa / 10^scale.
struct Decimal {
  uint64_t mantissa = 0;
  uint64_t divisor = 1;     // 10^(digits after the point)
  std::string_view suffix;  // what follows the number
};

// Returns false when `text` does not start with a well-formed decimal or it overflows.
bool readDecimal(std::string_view text, Decimal& out) {
  size_t i = 0;
  size_t int_digits = 0;
  size_t frac_digits = 0;
  bool point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    if (__builtin_mul_overflow(out.mantissa, 10u, &out.mantissa) ||
        __builtin_add_overflow(out.mantissa, uint64_t(c - '0'), &out.mantissa)) {
      return false;
    }
    if (point) {
      if (__builtin_mul_overflow(out.divisor, 10u, &out.divisor)) return false;
      ++frac_digits;
    } else {
      ++int_digits;
    }
  }
  // "1." and ".5" are not numbers a reader expects in a config file.
  if (int_digits == 0 || (point && frac_digits == 0)) return false;
  out.suffix = text.substr(i);
  return true;
}

// mantissa * multiplier / divisor when that is a whole number that fits; false otherwise.
bool scaleExact(const Decimal& d, uint64_t multiplier, uint64_t& out) {
  uint64_t product = 0;
  if (__builtin_mul_overflow(d.mantissa, multiplier, &product)) return false;
  if (product % d.divisor != 0) return false;
  out = product / d.divisor;
  return true;
}

Error configError(std::string message) {
  return Error(ErrorSource::kConfig, std::move(message));
}

// Built by appending: GCC 12 reports a false -Wrestrict for `"'" + std::string(text)`.
std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.append(1, '\'').append(text).append(1, '\'');
  return out;
}

// Milliseconds per duration unit; 0 for an unknown unit.
uint64_t durationUnitMs(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60 * 1000;
  if (unit == "h") return 60 * 60 * 1000;
  return 0;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
}

// Bytes per size unit (case-insensitive, optional 'i' and trailing 'b': k, kb, KiB); 0 for an
// unknown unit.
uint64_t sizeUnitBytes(std::string_view unit) {
  if (unit.empty()) return 1;
  if (lower(unit.back()) == 'b') unit.remove_suffix(1);
  if (unit.empty()) return 1;
  // "MiB" is what Kubernetes and most tools write; the units are binary either way.
  if (unit.size() == 2 && lower(unit[1]) == 'i') unit.remove_suffix(1);
  if (unit.size() != 1) return 0;
  switch (lower(unit[0])) {
    case 'k':
      return uint64_t{1} << 10;
    case 'm':
      return uint64_t{1} << 20;
    case 'g':
      return uint64_t{1} << 30;
    default:
      return 0;
  }
}

}  // namespace

Result<int64_t> parseDuration(std::string_view text) {
  Decimal d;
  if (!readDecimal(text, d)) {
    return configError("invalid duration " + quoted(text) +
                       ": expected a number and a unit (ms, s, m, h), e.g. \"250ms\"");
  }
  if (d.suffix.empty()) {
    return configError("invalid duration " + quoted(text) +
                       ": a unit is required (ms, s, m, h), e.g. \"" + std::string(text) + "s\"");
  }
  uint64_t unit_ms = durationUnitMs(d.suffix);
  if (unit_ms == 0) {
    return configError("invalid duration " + quoted(text) + ": unknown unit " + quoted(d.suffix) +
                       " (use ms, s, m, h)");
  }
  uint64_t ms = 0;
  if (!scaleExact(d, unit_ms, ms) || ms > uint64_t(INT64_MAX)) {
    return configError("invalid duration " + quoted(text) +
                       ": not a whole number of milliseconds, or too large");
  }
  return int64_t(ms);
}

Result<uint64_t> parseSize(std::string_view text) {
  Decimal d;
  if (!readDecimal(text, d)) {
    return configError("invalid size " + quoted(text) +
                       ": expected a number with an optional unit (k, m, g), e.g. \"16k\"");
  }
  uint64_t unit = sizeUnitBytes(d.suffix);
  if (unit == 0) {
    return configError("invalid size " + quoted(text) + ": unknown unit " + quoted(d.suffix) +
                       " (use k, m, g, optionally followed by b or ib: 64m, 64MiB)");
  }
  uint64_t bytes = 0;
  if (!scaleExact(d, unit, bytes)) {
    return configError("invalid size " + quoted(text) +
                       ": not a whole number of bytes, or too large");
  }
  return bytes;
}

Result<Rate> parseRate(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return configError("invalid rate " + quoted(text) +
                       ": expected <count>/<period>, e.g. \"100/s\" or \"5/10s\"");
  }
  std::string_view count_text = text.substr(0, slash);
  std::string_view period_text = text.substr(slash + 1);

  Decimal count;
  if (!readDecimal(count_text, count) || !count.suffix.empty() || count.divisor != 1) {
    return configError("invalid rate " + quoted(text) + ": the count " + quoted(count_text) +
                       " must be a whole number");
  }
  if (count.mantissa == 0) {
    return configError("invalid rate " + quoted(text) + ": the count must be at least 1");
  }

  int64_t per_ms = 0;
  if (uint64_t unit_ms = durationUnitMs(period_text); unit_ms != 0) {
    per_ms = int64_t(unit_ms);  // "100/s": one unit
  } else {
    Result<int64_t> period = parseDuration(period_text);
    if (!period.ok()) {
      return configError("invalid rate " + quoted(text) + ": the period " + quoted(period_text) +
                         " must be a unit (ms, s, m, h) or a duration such as \"10s\"");
    }
    per_ms = period.value();
  }
  if (per_ms <= 0) {
    return configError("invalid rate " + quoted(text) + ": the period must be longer than 0");
  }
  return Rate{count.mantissa, per_ms};
}

}  // namespace tidegate::config
