#pragma once
// One field line (RFC 9112 §5): the grammar shared by request heads, response heads and chunked
// trailers, so all three reject exactly the same bytes. Inline because it runs for every line
// of every head; the error paths live in field_line.cc. Internal to src/http/.

#include <cstdint>
#include <string_view>

#include "http/char_class.h"
#include "http/scan.h"

namespace tidegate::http {

enum class FieldLineStatus : uint8_t {
  kField,       // a field line: name, value and next are set
  kEnd,         // the empty line ending the section: next is set
  kIncomplete,  // the line does not end before `end`, and every byte so far is valid
  kError,       // error says why
};

struct FieldLine {
  std::string_view name;
  std::string_view value;      // trimmed of leading and trailing SP / HTAB
  const char* next = nullptr;  // the first byte after the line's CRLF
  std::string_view error;
};

namespace detail {
// Set out.error for the byte `c` that ended a field name (at_start: no name byte before it),
// a value, or for a CR not followed by LF; return kError.
FieldLineStatus badNameByte(FieldLine& out, char c, bool at_start);
FieldLineStatus badValueByte(FieldLine& out, char c);
FieldLineStatus bareCr(FieldLine& out);
}  // namespace detail

// Parses the field line (or empty line) starting at `p`, reading no byte at or after `end`.
// Strict: CRLF only, no obs-fold, no whitespace before the colon, no CTL/DEL/NUL in values.
// Errors are found left to right, so a longer buffer never turns an error into anything else.
inline FieldLineStatus parseFieldLine(const char* p, const char* end, FieldLine& out) {
  if (p == end) return FieldLineStatus::kIncomplete;
  if (*p == '\r') {
    if (p + 1 == end) return FieldLineStatus::kIncomplete;
    if (p[1] != '\n') return detail::bareCr(out);
    out.next = p + 2;
    return FieldLineStatus::kEnd;
  }

  const char* name = p;
  p = scanToken(p, end);
  if (p == end) return FieldLineStatus::kIncomplete;
  if (*p != ':' || p == name) return detail::badNameByte(out, *p, p == name);
  out.name = std::string_view(name, static_cast<size_t>(p - name));
  ++p;

  while (p < end && chars::isWhitespace(*p))
    ++p;
  const char* value = p;
  p = scanFieldValue(p, end);
  if (p == end) return FieldLineStatus::kIncomplete;
  if (*p != '\r') return detail::badValueByte(out, *p);
  if (p + 1 == end) return FieldLineStatus::kIncomplete;
  if (p[1] != '\n') return detail::bareCr(out);

  const char* value_end = p;
  while (value_end > value && chars::isWhitespace(value_end[-1]))
    --value_end;
  out.value = std::string_view(value, static_cast<size_t>(value_end - value));
  out.next = p + 2;
  return FieldLineStatus::kField;
}

}  // namespace tidegate::http
