#include "config/sample_selector.h"

#include <string>

namespace tidegate::config {
namespace {

bool isNameStart(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}
bool isNameChar(char c, bool colon) {
  return isNameStart(c, colon) || (c >= '0' && c <= '9');
}

class SelectorParser {
 public:
  explicit SelectorParser(std::string_view text) : text_(text) {}

  Result<SampleSelector> parse() {
    SampleSelector out;
    if (text_.empty()) return fail("the selector is empty");
    if (!isNameStart(text_[0], true)) return fail("expected a metric name");
    while (pos_ < text_.size() && isNameChar(text_[pos_], true))
      ++pos_;
    out.metric = std::string(text_.substr(0, pos_));
    if (pos_ == text_.size()) return out;
    if (text_[pos_] != '{') return fail("expected '{' or the end after the metric name");
    ++pos_;
    for (;;) {
      skipBlanks();
      if (pos_ == text_.size()) return fail("expected a label name or '}'");
      if (text_[pos_] == '}') break;
      std::pair<std::string, std::string> label;
      if (!isNameStart(text_[pos_], false)) return fail("expected a label name or '}'");
      const size_t start = pos_;
      while (pos_ < text_.size() && isNameChar(text_[pos_], false))
        ++pos_;
      label.first = std::string(text_.substr(start, pos_ - start));
      for (const auto& [name, value] : out.labels)
        if (name == label.first) return fail("label '" + name + "' is listed twice", start);
      skipBlanks();
      if (pos_ < text_.size() && (text_[pos_] == '!' || text_.substr(pos_).starts_with("=~")))
        return fail("only exact matchers (label=\"value\") are supported");
      if (pos_ == text_.size() || text_[pos_] != '=') return fail("expected '='");
      ++pos_;
      skipBlanks();
      if (pos_ == text_.size() || text_[pos_] != '"') return fail("expected '\"'");
      ++pos_;
      if (auto error = readValue(label.second); !error.empty()) return fail(error);
      out.labels.push_back(std::move(label));
      skipBlanks();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') break;
      return fail("expected ',' or '}'");
    }
    ++pos_;  // '}'
    if (pos_ != text_.size()) return fail("unexpected text after '}'");
    return out;
  }

 private:
  void skipBlanks() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t'))
      ++pos_;
  }

  // After the opening quote; leaves pos_ after the closing one. Empty: success.
  std::string readValue(std::string& out) {
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return {};
      if (c == '\n') return "a line break in a label value must be written \\n";
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ == text_.size()) break;
      const char e = text_[pos_++];
      if (e == '\\' || e == '"') {
        out.push_back(e);
      } else if (e == 'n') {
        out.push_back('\n');
      } else {
        pos_ -= 2;  // point at the backslash
        return std::string("unknown escape '\\") + e + "' (use \\\\, \\\" or \\n)";
      }
    }
    return "unterminated label value";
  }

  Error fail(const std::string& why) const { return fail(why, pos_); }
  Error fail(const std::string& why, size_t at) const {
    return Error(ErrorSource::kConfig, "at column " + std::to_string(at + 1) + ": " + why);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Result<SampleSelector> parseSampleSelector(std::string_view text) {
  return SelectorParser(text).parse();
}

}  // namespace tidegate::config
