#include "config/scrape_loader.h"

#include <algorithm>
#include <map>
#include <string_view>

#include "config/sample_selector.h"
#include "config/yaml_fields.h"

namespace tidegate::config {
namespace {

constexpr std::string_view kScrapeKeys[] = {"path", "interval", "timeout", "metrics"};
constexpr int64_t kMinIntervalMs = 1000;
constexpr int64_t kMaxIntervalMs = 3'600'000;
constexpr size_t kMaxPathBytes = 2048;

// Local names become a label value and a Lua string argument: keep them identifiers.
bool isLocalName(std::string_view s) {
  if (s.empty() || s.size() > 64 || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Origin form, written into the request line as is: visible ASCII, no fragment.
std::string checkPath(std::string_view path) {
  if (path.empty() || path[0] != '/') return "must start with '/'";
  if (path.size() > kMaxPathBytes) return "is longer than 2048 bytes";
  for (char c : path) {
    if (c <= 0x20 || c >= 0x7f) return "may hold visible ASCII only (percent-encode the rest)";
    if (c == '#') return "must not hold a fragment ('#')";
  }
  return {};
}

class ScrapeParser : public YamlFields {
 public:
  using YamlFields::YamlFields;

  void parse(const YAML::Node& value, const YAML::Node& key, const std::string& where,
             ScrapeConfig& scrape);

 private:
  void parseMetrics(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                    ScrapeConfig& scrape);
};

void ScrapeParser::parse(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                         ScrapeConfig& scrape) {
  scrape.mark = markOf(key);
  if (!expectMap(value, key, where)) return;
  std::optional<YAML::Mark> timeout_mark;
  bool interval_ok = true;
  bool timeout_ok = true;
  bool has_metrics = false;
  forEachKey(value, where, kScrapeKeys,
             [&](std::string_view name, const YAML::Node& k, const YAML::Node& v) {
               const std::string field = where + "." + std::string(name);
               if (name == "path") {
                 std::optional<std::string> text = scalar(v, k, field);
                 if (!text) return;
                 if (std::string why = checkPath(*text); !why.empty()) {
                   error(v, k, field + ": '" + *text + "' " + why);
                   return;
                 }
                 scrape.path = *text;
               } else if (name == "interval") {
                 std::optional<int64_t> ms = duration(v, k, field, true);
                 interval_ok = ms.has_value();
                 if (!ms) return;
                 if (*ms < kMinIntervalMs || *ms > kMaxIntervalMs) {
                   error(v, k, field + ": must be from 1s to 1h");
                   interval_ok = false;
                   return;
                 }
                 scrape.interval_ms = *ms;
               } else if (name == "timeout") {
                 timeout_mark = (v.IsNull() ? k : v).Mark();
                 std::optional<int64_t> ms = duration(v, k, field, true);
                 timeout_ok = ms.has_value();
                 if (ms) scrape.timeout_ms = *ms;
               } else if (name == "metrics") {
                 has_metrics = true;
                 parseMetrics(v, k, field, scrape);
               }
             });
  if (!timeout_mark) {
    // A scrape must end before the next one starts: short intervals get half of theirs.
    scrape.timeout_ms = std::min<int64_t>(scrape.timeout_ms, scrape.interval_ms / 2);
  } else if (interval_ok && timeout_ok && scrape.timeout_ms >= scrape.interval_ms) {
    error(*timeout_mark, where + ".timeout: must be shorter than the interval (" +
                             std::to_string(scrape.interval_ms) + " ms)");
  }
  if (!has_metrics) error(key.Mark(), where + ": 'metrics' is required (name: selector, ...)");
}

void ScrapeParser::parseMetrics(const YAML::Node& value, const YAML::Node& key,
                                const std::string& where, ScrapeConfig& scrape) {
  if (!value.IsMap() || value.size() == 0) {
    error(value, key, where + ": expected a mapping of name: selector, got " + describeNode(value));
    return;
  }
  std::map<std::string, YAML::Mark, std::less<>> seen;
  for (const auto& entry : value) {
    const YAML::Node& name_node = entry.first;
    const YAML::Node& selector_node = entry.second;
    if (!name_node.IsScalar()) {
      error(name_node.Mark(),
            where + ": names must be plain strings, got " + describeNode(name_node));
      continue;
    }
    const std::string& name = name_node.Scalar();
    const std::string field = where + "." + name;
    if (!isLocalName(name)) {
      error(name_node.Mark(), where + ": invalid name '" + name +
                                  "' (letters, digits and '_', not starting with a digit)");
      continue;
    }
    if (name == "load") {
      error(name_node.Mark(),
            where + ": 'load' is the load_header's value in b:metric(); pick another name");
      continue;
    }
    auto [it, inserted] = seen.emplace(name, name_node.Mark());
    if (!inserted) {
      error(name_node.Mark(),
            where + ": duplicate name '" + name + "' (first at " + lineCol(it->second) + ")");
      continue;
    }
    std::optional<std::string> text = nonEmpty(selector_node, name_node, field);
    if (!text) continue;
    Result<SampleSelector> selector = parseSampleSelector(*text);
    if (!selector) {
      error(selector_node, name_node,
            field + ": bad selector '" + *text + "': " + selector.error().message());
      continue;
    }
    if (scrape.metrics.size() == kMaxScrapeMetrics) {
      error(name_node.Mark(),
            where + ": at most " + std::to_string(kMaxScrapeMetrics) + " metrics per upstream");
      return;
    }
    ScrapeMetricConfig metric;
    metric.name = name;
    metric.selector_text = *text;
    metric.selector = std::move(selector.value());
    metric.mark = markOf(selector_node);
    scrape.metrics.push_back(std::move(metric));
  }
}

}  // namespace

std::optional<ScrapeConfig> parseScrapeBlock(
    const YAML::Node& value, const YAML::Node& key, const std::string& where,
    const std::string& file, const std::function<void(const YAML::Mark&, std::string)>& report) {
  ScrapeParser parser(file, report);
  ScrapeConfig scrape;
  parser.parse(value, key, where, scrape);
  if (parser.failed()) return std::nullopt;
  return scrape;
}

}  // namespace tidegate::config
