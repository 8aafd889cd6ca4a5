// The cold half of parseFieldLine: naming what was wrong with a field line.

#include "http/field_line.h"

namespace tidegate::http::detail {

namespace {

FieldLineStatus fail(FieldLine& out, std::string_view why) {
  out.error = why;
  return FieldLineStatus::kError;
}

}  // namespace

FieldLineStatus badNameByte(FieldLine& out, char c, bool at_start) {
  if (c == '\n') return fail(out, "bare LF in field line");
  if (c == '\r') return fail(out, "bare CR in field line");
  if (chars::isWhitespace(c)) {
    // At the start this is obs-fold (RFC 9112 §5.2) or whitespace after the start-line (§2.2).
    return fail(out, at_start ? "field line starts with whitespace (obs-fold)"
                              : "whitespace between field name and colon");
  }
  if (c == ':') return fail(out, "empty field name");
  return fail(out, "invalid character in field name");
}

FieldLineStatus badValueByte(FieldLine& out, char c) {
  if (c == '\n') return fail(out, "bare LF in field value");
  if (c == '\0') return fail(out, "NUL in field value");
  return fail(out, "control character in field value");
}

FieldLineStatus bareCr(FieldLine& out) {
  return fail(out, "bare CR in field line");
}

}  // namespace tidegate::http::detail
