#include "echo/chunked_body.h"

#include <algorithm>

namespace tidegate::echo {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// chunk-size [ BWS ";" chunk-ext ]; false on anything else.
bool parseSizeLine(std::string_view line, uint64_t& size) {
  size_t digits = 0;
  size = 0;
  while (digits < line.size() && hexValue(line[digits]) >= 0) {
    if (digits == 16) return false;  // would overflow 64 bits
    size = size * 16 + uint64_t(hexValue(line[digits]));
    ++digits;
  }
  if (digits == 0) return false;
  std::string_view rest = line.substr(digits);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
    rest.remove_prefix(1);
  if (rest.empty()) return true;
  if (rest.front() != ';') return false;
  for (unsigned char c : rest) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

ParseResult ChunkedBody::decode(std::string_view data, std::string* decoded, uint64_t max_body,
                                int& error_status) {
  auto fail = [&](int status) {
    error_status = status;
    return ParseResult::kError;
  };
  // Returns the line at pos_ without its CRLF and moves past it; false when incomplete.
  // `bad` is set when a line ends in a bare LF or exceeds `limit`.
  bool bad = false;
  auto takeLine = [&](std::string_view& line, size_t limit) {
    size_t lf = data.find('\n', pos_);
    if (lf == std::string_view::npos) {
      bad = data.size() - pos_ > limit;
      return false;
    }
    if (lf == pos_ || data[lf - 1] != '\r' || lf - pos_ > limit) {
      bad = true;
      return false;
    }
    line = data.substr(pos_, lf - 1 - pos_);
    pos_ = lf + 1;
    bad = line.find('\r') != std::string_view::npos;  // a bare CR inside the line
    return !bad;
  };

  std::string_view line;
  while (true) {
    switch (state_) {
      case State::kSize: {
        if (!takeLine(line, kMaxSizeLine)) return bad ? fail(400) : ParseResult::kIncomplete;
        uint64_t size = 0;
        if (!parseSizeLine(line, size)) return fail(400);
        if (size > max_body || total_ + size > max_body) return fail(413);
        total_ += size;
        remaining_ = size;
        state_ = size == 0 ? State::kTrailer : State::kData;
        break;
      }
      case State::kData: {
        size_t available = std::min<uint64_t>(remaining_, data.size() - pos_);
        if (decoded != nullptr) decoded->append(data.data() + pos_, available);
        pos_ += available;
        remaining_ -= available;
        if (remaining_ != 0) return ParseResult::kIncomplete;
        state_ = State::kDataEnd;
        break;
      }
      case State::kDataEnd:
        if (data.size() - pos_ < 2) return ParseResult::kIncomplete;
        if (data[pos_] != '\r' || data[pos_ + 1] != '\n') return fail(400);
        pos_ += 2;
        state_ = State::kSize;
        break;
      case State::kTrailer: {
        size_t before = pos_;
        if (!takeLine(line, kMaxTrailers)) return bad ? fail(400) : ParseResult::kIncomplete;
        trailer_bytes_ += pos_ - before;
        if (trailer_bytes_ > kMaxTrailers) return fail(431);
        if (line.empty()) {
          state_ = State::kDone;
          return ParseResult::kComplete;
        }
        // Trailer fields are read and dropped: nothing is framed or echoed by them.
        if (line.front() == ' ' || line.front() == '\t' || line.find(':') == 0 ||
            line.find(':') == std::string_view::npos) {
          return fail(400);
        }
        break;
      }
      case State::kDone:
        return ParseResult::kComplete;
    }
  }
}

}  // namespace tidegate::echo
