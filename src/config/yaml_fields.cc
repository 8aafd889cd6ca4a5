#include "config/yaml_fields.h"

#include <algorithm>
#include <charconv>

#include "config/units.h"

namespace tidegate::config {

std::string joinKeys(Keys keys) {
  std::string out;
  for (std::string_view k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

bool containsKey(Keys keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::string describeNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "an undefined value";
  }
}

std::string lineCol(const YAML::Mark& mark) {
  return std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void YamlFields::error(const YAML::Mark& mark, std::string message) {
  failed_ = true;
  report_(mark, std::move(message));
}

void YamlFields::error(const YAML::Node& value, const YAML::Node& key, std::string message) {
  bool use_key = (!value.IsDefined() || value.IsNull() || value.Mark().line < 0) && key.IsDefined();
  error(use_key ? key.Mark() : value.Mark(), std::move(message));
}

SourceMark YamlFields::markOf(const YAML::Node& node) const {
  YAML::Mark m = node.Mark();
  return SourceMark{file_, m.line < 0 ? 1 : m.line + 1, m.column < 0 ? 1 : m.column + 1};
}

bool YamlFields::expectMap(const YAML::Node& value, const YAML::Node& key,
                           const std::string& where) {
  if (value.IsMap()) return true;
  error(value, key, where + ": expected a mapping, got " + describeNode(value));
  return false;
}

std::optional<std::string> YamlFields::scalar(const YAML::Node& value, const YAML::Node& key,
                                              const std::string& where) {
  if (value.IsScalar()) return value.Scalar();
  error(value, key, where + ": expected a value, got " + describeNode(value));
  return std::nullopt;
}

std::optional<std::string> YamlFields::nonEmpty(const YAML::Node& value, const YAML::Node& key,
                                                const std::string& where) {
  std::optional<std::string> text = scalar(value, key, where);
  if (text && text->empty()) {
    error(value, key, where + ": must not be empty");
    return std::nullopt;
  }
  return text;
}

std::optional<int64_t> YamlFields::integer(const YAML::Node& value, const YAML::Node& key,
                                           const std::string& where, int64_t min, int64_t max) {
  std::optional<std::string> text = scalar(value, key, where);
  if (!text) return std::nullopt;
  int64_t n = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, n);
  if (text->empty() || ec != std::errc() || ptr != end || n < min || n > max) {
    error(value, key,
          where + ": expected a whole number from " + std::to_string(min) + " to " +
              std::to_string(max) + ", got '" + *text + "'");
    return std::nullopt;
  }
  return n;
}

std::optional<int64_t> YamlFields::duration(const YAML::Node& value, const YAML::Node& key,
                                            const std::string& where, bool positive) {
  std::optional<std::string> text = scalar(value, key, where);
  if (!text) return std::nullopt;
  Result<int64_t> ms = parseDuration(*text);
  if (!ms.ok()) {
    error(value, key, where + ": " + ms.error().message());
    return std::nullopt;
  }
  if (positive && ms.value() <= 0) {
    error(value, key, where + ": must be longer than 0");
    return std::nullopt;
  }
  return ms.value();
}

std::optional<uint64_t> YamlFields::size(const YAML::Node& value, const YAML::Node& key,
                                         const std::string& where, bool nonzero) {
  std::optional<std::string> text = scalar(value, key, where);
  if (!text) return std::nullopt;
  Result<uint64_t> bytes = parseSize(*text);
  if (!bytes.ok()) {
    error(value, key, where + ": " + bytes.error().message());
    return std::nullopt;
  }
  if (nonzero && bytes.value() == 0) {
    error(value, key, where + ": must be larger than 0");
    return std::nullopt;
  }
  return bytes.value();
}

std::optional<bool> YamlFields::boolean(const YAML::Node& value, const YAML::Node& key,
                                        const std::string& where) {
  std::optional<std::string> text = scalar(value, key, where);
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  error(value, key, where + ": expected true or false, got '" + *text + "'");
  return std::nullopt;
}

}  // namespace tidegate::config
