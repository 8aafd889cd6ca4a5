#pragma once
// YamlFields: reads typed fields out of YAML nodes (mappings with known keys, scalars, whole
// numbers, durations, sizes, booleans) and reports every problem at its YAML mark instead of
// stopping at the first. The config loader and the scale-block parser both read through it, so
// that a field means the same thing, with the same message, wherever it appears.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/source_mark.h"

namespace tidegate::config {

using Keys = std::span<const std::string_view>;

// "a, b, c", for messages that list what is allowed.
std::string joinKeys(Keys keys);
bool containsKey(Keys keys, std::string_view key);
// What a node is, for messages: "'text'", "a list", "a mapping", "nothing".
std::string describeNode(const YAML::Node& node);
// "line:column", 1-based.
std::string lineCol(const YAML::Mark& mark);

class YamlFields {
 public:
  // Receives each problem: where it is (a null mark: somewhere in the file) and the message.
  using ErrorFn = std::function<void(const YAML::Mark& mark, std::string message)>;

  YamlFields(std::string file, ErrorFn report)
      : file_(std::move(file)), report_(std::move(report)) {}

  const std::string& file() const { return file_; }
  // Whether any problem was reported through this reader.
  bool failed() const { return failed_; }

  void error(const YAML::Mark& mark, std::string message);
  // Reports at `value`, or at its `key` when the value is empty: yaml-cpp marks an empty value
  // at the next token, which may be lines below.
  void error(const YAML::Node& value, const YAML::Node& key, std::string message);
  SourceMark markOf(const YAML::Node& node) const;

  // Calls fn(name, key, value) for each entry whose key is in `allowed`; reports the others
  // (unknown, duplicate, not a string).
  template <typename Fn>
  void forEachKey(const YAML::Node& map, const std::string& where, Keys allowed, Fn&& fn);
  bool expectMap(const YAML::Node& value, const YAML::Node& key, const std::string& where);
  std::optional<std::string> scalar(const YAML::Node& value, const YAML::Node& key,
                                    const std::string& where);
  std::optional<std::string> nonEmpty(const YAML::Node& value, const YAML::Node& key,
                                      const std::string& where);
  std::optional<int64_t> integer(const YAML::Node& value, const YAML::Node& key,
                                 const std::string& where, int64_t min, int64_t max);
  // `positive`: 0 is refused (intervals, timeouts); otherwise 0 is allowed (cooldowns).
  std::optional<int64_t> duration(const YAML::Node& value, const YAML::Node& key,
                                  const std::string& where, bool positive);
  std::optional<uint64_t> size(const YAML::Node& value, const YAML::Node& key,
                               const std::string& where, bool nonzero);
  std::optional<bool> boolean(const YAML::Node& value, const YAML::Node& key,
                              const std::string& where);

 private:
  std::string file_;
  ErrorFn report_;
  bool failed_ = false;
};

template <typename Fn>
void YamlFields::forEachKey(const YAML::Node& map, const std::string& where, Keys allowed,
                            Fn&& fn) {
  std::map<std::string, YAML::Mark, std::less<>> seen;
  for (const auto& entry : map) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) {
      error(key.Mark(), where + ": keys must be plain strings, got " + describeNode(key));
      continue;
    }
    const std::string& name = key.Scalar();
    if (!containsKey(allowed, name)) {
      error(key.Mark(),
            where + ": unknown key '" + name + "' (allowed: " + joinKeys(allowed) + ")");
      continue;
    }
    auto [it, inserted] = seen.emplace(name, key.Mark());
    if (!inserted) {
      error(key.Mark(),
            where + ": duplicate key '" + name + "' (first at " + lineCol(it->second) + ")");
      continue;
    }
    fn(std::string_view(name), key, entry.second);
  }
}

}  // namespace tidegate::config
