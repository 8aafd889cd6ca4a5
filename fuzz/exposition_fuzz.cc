// Fuzzes ExpositionParser, which reads what a backend serves on its own /metrics (the backend
// scraper): untrusted text, parsed on the control thread. Besides crashes and ASan/UBSan
// reports, checks the parser's contract: names are views into the text and well formed,
// label names are unique within a sample, the stats agree with what was returned, parsing is
// deterministic, and lines are independent (the text parsed whole gives the same samples and
// malformed count as its lines parsed one by one).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "metrics/exposition_parser.h"

namespace {

using tidegate::fuzz::inside;
using tidegate::metrics::ExpositionParser;
using tidegate::metrics::ExpositionSample;

bool nameChar(char c, bool first, bool colon_ok) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  const bool digit = c >= '0' && c <= '9';
  return letter || (colon_ok && c == ':') || (!first && digit);
}

bool wellFormedName(std::string_view name, bool colon_ok) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!nameChar(name[i], i == 0, colon_ok)) return false;
  return true;
}

// One sample, flattened, to compare two parses.
std::string flatten(const ExpositionSample& s) {
  std::string out(s.name);
  for (const auto& l : s.labels) {
    out += '\x01';
    out += l.name;
    out += '\x02';
    out += l.value;
  }
  out += '\x03';
  out += std::to_string(s.value);  // NaN prints as "nan": compares equal as text
  out += s.timestamp_ms ? std::to_string(*s.timestamp_ms) : "-";
  return out;
}

struct Parsed {
  std::vector<std::string> samples;
  size_t malformed = 0;
};

Parsed parse(std::string_view text) {
  Parsed out;
  ExpositionParser parser(text);
  size_t returned = 0;
  while (const ExpositionSample* s = parser.next()) {
    ++returned;
    FUZZ_CHECK(inside(s->name, text));
    FUZZ_CHECK(wellFormedName(s->name, true));
    for (size_t i = 0; i < s->labels.size(); ++i) {
      FUZZ_CHECK(inside(s->labels[i].name, text));
      FUZZ_CHECK(wellFormedName(s->labels[i].name, false));
      for (size_t j = 0; j < i; ++j)
        FUZZ_CHECK(s->labels[i].name != s->labels[j].name);
      FUZZ_CHECK(s->label(s->labels[i].name) != nullptr);
    }
    out.samples.push_back(flatten(*s));
  }
  FUZZ_CHECK(parser.next() == nullptr);  // stays at the end
  const auto& stats = parser.stats();
  FUZZ_CHECK(stats.samples == returned);
  FUZZ_CHECK((stats.malformed == 0) == (stats.first_malformed == 0));
  FUZZ_CHECK((stats.malformed == 0) == stats.first_error.empty());
  out.malformed = stats.malformed;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A copy of exactly `size` bytes, so ASan sees any read past the end.
  const std::string text(reinterpret_cast<const char*>(data), size);
  const Parsed whole = parse(text);
  const Parsed again = parse(text);
  FUZZ_CHECK(whole.samples == again.samples && whole.malformed == again.malformed);

  Parsed by_line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    const size_t next = end == std::string::npos ? text.size() : end + 1;
    const std::string line = text.substr(start, next - start);
    Parsed one = parse(line);
    by_line.samples.insert(by_line.samples.end(), one.samples.begin(), one.samples.end());
    by_line.malformed += one.malformed;
    start = next;
  }
  FUZZ_CHECK(whole.samples == by_line.samples);
  FUZZ_CHECK(whole.malformed == by_line.malformed);
  return 0;
}
