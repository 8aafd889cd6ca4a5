#pragma once
// Header fields as zero-copy views into the buffer they were parsed from, kept in arrival
// order in a fixed-capacity list (no heap). Names compare case-insensitively (RFC 9110 §5.1).

#include <array>
#include <cstddef>
#include <string_view>

namespace tidegate::http {

// ASCII case-insensitive equality of two names in any case.
inline bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x + 32);
    if (y >= 'A' && y <= 'Z') y = char(y + 32);
    if (x != y) return false;
  }
  return true;
}

struct Header {
  std::string_view name;
  std::string_view value;  // without leading/trailing whitespace
};

// ASCII case-insensitive equality; `lower` must already be lower case.
inline bool equalsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = char(c + 32);
    if (c != lower[i]) return false;
  }
  return true;
}

class HeaderList {
 public:
  static constexpr size_t kCapacity = 128;

  size_t size() const { return size_; }
  bool full() const { return size_ == kCapacity; }
  const Header& operator[](size_t i) const { return items_[i]; }
  const Header* begin() const { return items_.data(); }
  const Header* end() const { return items_.data() + size_; }

  // Appends; returns false when full.
  bool push(std::string_view name, std::string_view value) {
    if (size_ == kCapacity) return false;
    items_[size_++] = Header{name, value};
    return true;
  }
  void clear() { size_ = 0; }

  // Removes every field named `name` (any case), keeping the others in order.
  void removeAll(std::string_view name) {
    size_t out = 0;
    for (size_t i = 0; i < size_; ++i)
      if (!equalsIgnoringCase(items_[i].name, name)) items_[out++] = items_[i];
    size_ = out;
  }

  // First field named `name` in any case (names from scripts), or nullptr.
  const Header* findAnyCase(std::string_view name) const {
    for (size_t i = 0; i < size_; ++i)
      if (equalsIgnoringCase(items_[i].name, name)) return &items_[i];
    return nullptr;
  }

  // First field named `lower_name` (lower case), or nullptr.
  const Header* find(std::string_view lower_name) const {
    for (size_t i = 0; i < size_; ++i)
      if (equalsLower(items_[i].name, lower_name)) return &items_[i];
    return nullptr;
  }

 private:
  std::array<Header, kCapacity> items_;
  size_t size_ = 0;
};

}  // namespace tidegate::http
