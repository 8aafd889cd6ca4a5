#include "http/field_line.h"

#include "http/char_class.h"
#include "http/scan.h"

namespace tidegate::http {

namespace {

FieldLineStatus fail(FieldLine& out, std::string_view why) {
  out.error = why;
  return FieldLineStatus::kError;
}

std::string_view badNameByte(char c, bool at_start) {
  if (c == '\n') return "bare LF in field line";
  if (c == '\r') return "bare CR in field line";
  if (chars::isWhitespace(c)) {
    // At the start this is obs-fold (RFC 9112 §5.2) or whitespace after the start-line (§2.2).
    return at_start ? "field line starts with whitespace (obs-fold)"
                    : "whitespace between field name and colon";
  }
  if (c == ':') return "empty field name";
  return "invalid character in field name";
}

std::string_view badValueByte(char c) {
  if (c == '\n') return "bare LF in field value";
  if (c == '\0') return "NUL in field value";
  return "control character in field value";
}

}  // namespace

FieldLineStatus parseFieldLine(const char* p, const char* end, FieldLine& out) {
  if (p == end) return FieldLineStatus::kIncomplete;
  if (*p == '\r') {
    if (p + 1 == end) return FieldLineStatus::kIncomplete;
    if (p[1] != '\n') return fail(out, "bare CR in field line");
    out.next = p + 2;
    return FieldLineStatus::kEnd;
  }

  const char* name = p;
  while (p < end && chars::isTchar(*p))
    ++p;
  if (p == end) return FieldLineStatus::kIncomplete;
  if (*p != ':' || p == name) return fail(out, badNameByte(*p, p == name));
  out.name = std::string_view(name, static_cast<size_t>(p - name));
  ++p;

  while (p < end && chars::isWhitespace(*p))
    ++p;
  const char* value = p;
  p = scanFieldValue(p, end);
  if (p == end) return FieldLineStatus::kIncomplete;
  if (*p != '\r') return fail(out, badValueByte(*p));
  if (p + 1 == end) return FieldLineStatus::kIncomplete;
  if (p[1] != '\n') return fail(out, "bare CR in field value");

  const char* value_end = p;
  while (value_end > value && chars::isWhitespace(value_end[-1]))
    --value_end;
  out.value = std::string_view(value, static_cast<size_t>(value_end - value));
  out.next = p + 2;
  return FieldLineStatus::kField;
}

}  // namespace tidegate::http
