#pragma once
// Incremental decoder of a chunked request body (RFC 9112 section 7.1). The echo keeps a
// whole request in its read buffer until it is answered, so the decoder only remembers how
// far it got and resumes there when more bytes arrive: linear in the body, however it is
// split across reads.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "echo/request_head.h"

namespace tidegate::echo {

class ChunkedBody {
 public:
  void reset() { *this = ChunkedBody{}; }

  // `data` starts right after the request head and only ever grows between calls. Chunk
  // data is appended to `*decoded` when it is not null. kComplete: the body (trailers
  // included) ends at end(). kError: `error_status` is 400, 413 (body over
  // `max_body`) or 431 (trailers too large).
  ParseResult decode(std::string_view data, std::string* decoded, uint64_t max_body,
                     int& error_status);

  size_t end() const { return pos_; }

 private:
  static constexpr size_t kMaxSizeLine = 4096;  // chunk-size plus extensions
  static constexpr size_t kMaxTrailers = 16 * 1024;

  enum class State { kSize, kData, kDataEnd, kTrailer, kDone };

  State state_ = State::kSize;
  size_t pos_ = 0;
  uint64_t remaining_ = 0;
  uint64_t total_ = 0;
  size_t trailer_bytes_ = 0;
};

}  // namespace tidegate::echo
