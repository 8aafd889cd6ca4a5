#pragma once
// Parsers for the unit-bearing scalars of the config: durations ("1.5s"), sizes ("16k") and
// rates ("100/s"). Pure functions on the control thread; the loader adds file:line:col.
//
// All of them are exact: a value that does not come out as a whole number of the target unit
// ("0.5ms", "1.5b") is an error rather than silently rounded, so what the user wrote is what
// the gateway enforces.

#include <cstdint>
#include <string_view>

#include "core/result.h"

namespace tidegate::config {

// "<decimal><unit>" with unit ms | s | m | h (case-sensitive: "m" is minutes, as in nginx),
// e.g. "250ms", "2s", "1.5s", "1m", "1h". The unit is required. Returns milliseconds >= 0.
Result<int64_t> parseDuration(std::string_view text);

// "<decimal>[unit]" with unit k | m | g, optionally followed by b or ib (64MiB), case-insensitive,
// in powers of 1024; no unit means bytes: "512", "16k", "16KB", "1m", "1g", "1.5k". Returns bytes.
Result<uint64_t> parseSize(std::string_view text);

// A request rate: `count` events per `per_ms` milliseconds.
struct Rate {
  uint64_t count = 0;  // >= 1
  int64_t per_ms = 0;  // >= 1
  bool operator==(const Rate&) const = default;
};

// "<count>/<unit>" or "<count>/<duration>": "100/s", "6000/m", "10/h", "5/10s". The count is a
// whole number >= 1; the period uses the duration units above.
Result<Rate> parseRate(std::string_view text);

}  // namespace tidegate::config
