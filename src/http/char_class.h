#pragma once
// Byte classes of the HTTP grammar (RFC 9110 §5.6.2, §5.5; RFC 3986 §2) as one 256-entry table,
// so every hot loop of the parser costs one load and one test per byte. Internal to src/http/.

#include <cstdint>

namespace tidegate::http::chars {

enum : uint8_t {
  kTchar = 1 << 0,       // token character: field names, methods, codings
  kFieldValue = 1 << 1,  // VCHAR / SP / HTAB / obs-text: field values, reason phrases
  kTarget = 1 << 2,      // request-target: visible ASCII 0x21-0x7E except '#'
  kHexDigit = 1 << 3,
  kDigit = 1 << 4,
  kRegName = 1 << 5,  // unreserved / sub-delims (reg-name without pct-encoded)
};

struct Table {
  uint8_t bits[256];
};

constexpr Table makeTable() {
  Table t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t b = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (alpha || digit) b |= kTchar;
    for (char x : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'})
      if (c == x) b |= kTchar;
    if ((c >= 0x21 && c <= 0x7E) || c == ' ' || c == '\t' || c >= 0x80) b |= kFieldValue;
    if (c >= 0x21 && c <= 0x7E && c != '#') b |= kTarget;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) b |= kHexDigit;
    if (digit) b |= kDigit;
    if (alpha || digit) b |= kRegName;
    for (char x : {'-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '='})
      if (c == x) b |= kRegName;
    t.bits[c] = b;
  }
  return t;
}

inline constexpr Table kTable = makeTable();

inline bool is(char c, uint8_t cls) {
  return (kTable.bits[static_cast<uint8_t>(c)] & cls) != 0;
}
inline bool isTchar(char c) {
  return is(c, kTchar);
}
inline bool isFieldValue(char c) {
  return is(c, kFieldValue);
}
inline bool isTarget(char c) {
  return is(c, kTarget);
}
inline bool isHexDigit(char c) {
  return is(c, kHexDigit);
}
inline bool isDigit(char c) {
  return is(c, kDigit);
}
inline bool isWhitespace(char c) {
  return c == ' ' || c == '\t';
}

inline int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

inline char toLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

}  // namespace tidegate::http::chars
