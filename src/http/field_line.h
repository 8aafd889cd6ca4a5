#pragma once
// One field line (RFC 9112 §5): the grammar shared by request heads, response heads and chunked
// trailers, so all three reject exactly the same bytes. Internal to src/http/.

#include <cstdint>
#include <string_view>

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

// Parses the field line (or empty line) starting at `p`, reading no byte at or after `end`.
// Strict: CRLF only, no obs-fold, no whitespace before the colon, no CTL/DEL/NUL in values.
// Errors are found left to right, so a longer buffer never turns an error into anything else.
FieldLineStatus parseFieldLine(const char* p, const char* end, FieldLine& out);

}  // namespace tidegate::http
