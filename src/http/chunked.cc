// ChunkedDecoder and writeChunkSizeLine (RFC 9112 §7.1). The decoder commits its state only
// when it hands something back, so an incomplete step consumes nothing and the caller simply
// calls again with the same bytes plus more.

#include "http/chunked.h"

#include <algorithm>

#include "http/char_class.h"
#include "http/field_line.h"

namespace tidegate::http {

namespace {

// A chunk can be at most 16 hex digits long, so its size never overflows uint64_t (R6).
constexpr size_t kMaxSizeDigits = 16;

// chunk-ext = *( ";" chunk-ext-name [ "=" chunk-ext-val ] ), chunk-ext-val = token /
// quoted-string (RFC 9112 §7.1.1). The BWS the RFC allows around ';' and '=' is refused: no
// client we know sends it, and it is where parsers have disagreed before.
enum class Ext : uint8_t {
  kAfterValue,  // accepting: another ';' or the end of the line
  kNameStart,
  kName,  // accepting
  kValueStart,
  kToken,  // accepting
  kQuoted,
  kQuotedPair,
  kBad,
};

bool isQdtext(char c) {
  return chars::isFieldValue(c) && c != '"' && c != '\\';
}

Ext advance(Ext state, char c) {
  switch (state) {
    case Ext::kAfterValue:
      return c == ';' ? Ext::kNameStart : Ext::kBad;
    case Ext::kNameStart:
      return chars::isTchar(c) ? Ext::kName : Ext::kBad;
    case Ext::kName:
      if (chars::isTchar(c)) return Ext::kName;
      if (c == '=') return Ext::kValueStart;
      return c == ';' ? Ext::kNameStart : Ext::kBad;
    case Ext::kValueStart:
      if (chars::isTchar(c)) return Ext::kToken;
      return c == '"' ? Ext::kQuoted : Ext::kBad;
    case Ext::kToken:
      if (chars::isTchar(c)) return Ext::kToken;
      return c == ';' ? Ext::kNameStart : Ext::kBad;
    case Ext::kQuoted:
      if (c == '"') return Ext::kAfterValue;
      if (c == '\\') return Ext::kQuotedPair;
      return isQdtext(c) ? Ext::kQuoted : Ext::kBad;
    case Ext::kQuotedPair:
      return chars::isFieldValue(c) ? Ext::kQuoted : Ext::kBad;
    case Ext::kBad:
      return Ext::kBad;
  }
  return Ext::kBad;
}

bool isAccepting(Ext state) {
  return state == Ext::kAfterValue || state == Ext::kName || state == Ext::kToken;
}

struct SizeLine {
  enum Status : uint8_t { kOk, kIncomplete, kError } status = kIncomplete;
  uint64_t size = 0;
  const char* next = nullptr;
  std::string_view error;
};

SizeLine sizeLineError(std::string_view why) {
  SizeLine r;
  r.status = SizeLine::kError;
  r.error = why;
  return r;
}

// chunk-size [ chunk-ext ] CRLF at `p`, scanned left to right like the head parsers: the line
// (without CRLF) may hold max_line bytes, and the byte after them must be its CR.
SizeLine parseSizeLine(const char* p, const char* end, size_t max_line) {
  const char* const start = p;
  const char* const scan_end = start + std::min(static_cast<size_t>(end - start), max_line + 1);
  auto ranOut = [&](const char* at) {
    return static_cast<size_t>(at - start) > max_line ? sizeLineError("chunk-size line too long")
                                                      : SizeLine{};
  };

  uint64_t size = 0;
  while (p < scan_end && chars::isHexDigit(*p)) {
    if (static_cast<size_t>(p - start) == kMaxSizeDigits)
      return sizeLineError("chunk size has more than 16 hex digits");
    size = (size << 4) | static_cast<uint64_t>(chars::hexValue(*p));
    ++p;
  }
  if (p == scan_end) return ranOut(p);
  if (p == start)
    return sizeLineError(*p == '\n' ? "bare LF in chunk-size line" : "missing chunk size");

  const char* const digits_end = p;
  Ext ext = Ext::kAfterValue;
  for (; p < scan_end && *p != '\r'; ++p) {
    ext = advance(ext, *p);
    if (ext == Ext::kBad) {
      if (*p == '\n') return sizeLineError("bare LF in chunk-size line");
      return sizeLineError(p == digits_end ? "invalid character after chunk size"
                                           : "invalid chunk extension");
    }
  }
  if (p == scan_end) return ranOut(p);
  if (!isAccepting(ext)) return sizeLineError("invalid chunk extension");
  if (p + 1 == end) return SizeLine{};
  if (p[1] != '\n') return sizeLineError("bare CR in chunk-size line");
  SizeLine r;
  r.status = SizeLine::kOk;
  r.size = size;
  r.next = p + 2;
  return r;
}

}  // namespace

ChunkedDecoder::Step ChunkedDecoder::next(std::string_view in) {
  const char* const begin = in.data();
  const char* const end = begin + in.size();
  const char* p = begin;
  // Work on copies; they become the decoder's state only when a step hands something back.
  State state = state_;
  uint64_t remaining = remaining_;

  auto commit = [&](Kind kind, const char* upto, std::string_view bytes) {
    state_ = state;
    remaining_ = remaining;
    Step step;
    step.kind = kind;
    step.consumed = static_cast<size_t>(upto - begin);
    step.bytes = bytes;
    return step;
  };
  auto fail = [](std::string_view why) {
    Step step;
    step.kind = Kind::kError;
    step.error = why;
    return step;
  };

  for (;;) {
    switch (state) {
      case State::kSize: {
        const SizeLine line = parseSizeLine(p, end, max_line_);
        if (line.status == SizeLine::kIncomplete) return Step{};
        if (line.status == SizeLine::kError) return fail(line.error);
        p = line.next;
        remaining = line.size;
        state = line.size == 0 ? State::kTrailer : State::kData;
        break;
      }
      case State::kData: {
        if (p == end) return Step{};
        const size_t n =
            static_cast<size_t>(std::min<uint64_t>(remaining, static_cast<uint64_t>(end - p)));
        remaining -= n;
        if (remaining == 0) state = State::kDataCrlf;
        return commit(Kind::kData, p + n, std::string_view(p, n));
      }
      case State::kDataCrlf:
        if (p == end) return Step{};
        if (*p != '\r')
          return fail(*p == '\n' ? "bare LF after chunk data" : "chunk data too long");
        if (p + 1 == end) return Step{};
        if (p[1] != '\n') return fail("bare CR after chunk data");
        p += 2;
        state = State::kSize;
        break;
      case State::kTrailer: {
        const size_t budget = max_trailer_ - trailer_bytes_;
        const char* const limit = p + std::min(static_cast<size_t>(end - p), budget);
        FieldLine line;
        switch (parseFieldLine(p, limit, line)) {
          case FieldLineStatus::kIncomplete:
            return limit == end ? Step{} : fail("trailer section too large");
          case FieldLineStatus::kError:
            return fail(line.error);
          case FieldLineStatus::kEnd:
            trailer_bytes_ += 2;
            state = State::kDone;
            return commit(Kind::kDone, line.next, {});
          case FieldLineStatus::kField: {
            const size_t length = static_cast<size_t>(line.next - p);
            trailer_bytes_ += length;
            return commit(Kind::kTrailer, line.next, std::string_view(p, length));
          }
        }
        return fail("unreachable");
      }
      case State::kDone: {
        Step step;
        step.kind = Kind::kDone;
        return step;
      }
    }
  }
}

size_t writeChunkSizeLine(uint64_t size, char* out) {
  char digits[16];
  size_t n = 0;
  do {
    digits[n++] = "0123456789abcdef"[size & 0xf];
    size >>= 4;
  } while (size != 0);
  for (size_t i = 0; i < n; ++i)
    out[i] = digits[n - 1 - i];
  out[n] = '\r';
  out[n + 1] = '\n';
  return n + 2;
}

}  // namespace tidegate::http
