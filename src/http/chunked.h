#pragma once
// Incremental decoder for the chunked transfer coding (RFC 9112 §7.1), zero-copy: data and
// trailer lines come back as views into the caller's buffer. Plus the tiny encoder the proxy
// uses to re-frame bodies it forwards.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tidegate::http {

class ChunkedDecoder {
 public:
  enum class Kind : uint8_t {
    kData,        // `bytes` is chunk data to forward
    kTrailer,     // `bytes` is one complete, validated trailer field line including its CRLF
    kDone,        // the last chunk and trailer section are consumed; the message is complete
    kIncomplete,  // need more input: consumed is always 0; call again with the same bytes + more
    kError,       // malformed framing; `error` says why; answer 400 (request) / 502 (response)
  };
  struct Step {
    Kind kind = Kind::kIncomplete;
    size_t consumed = 0;     // bytes of input used by this step (framing and data)
    std::string_view bytes;  // kData / kTrailer payload, a view into the input
    std::string_view error;
  };

  // Limits: a chunk-size line (size + extensions) longer than max_line_bytes, or a trailer
  // section larger than max_trailer_bytes, is an error.
  explicit ChunkedDecoder(size_t max_line_bytes = 4096, size_t max_trailer_bytes = 8192)
      : max_line_(max_line_bytes), max_trailer_(max_trailer_bytes) {}

  // Consumes a prefix of `in`. Returns at most one data piece or trailer line per call; a
  // kData or kTrailer step's `consumed` also covers the framing before it. After kError the
  // decoder must be reset() or dropped.
  Step next(std::string_view in);

  bool done() const { return state_ == State::kDone; }
  void reset() { *this = ChunkedDecoder(max_line_, max_trailer_); }

 private:
  enum class State : uint8_t { kSize, kData, kDataCrlf, kTrailer, kDone };
  State state_ = State::kSize;
  uint64_t remaining_ = 0;
  size_t trailer_bytes_ = 0;
  size_t max_line_;
  size_t max_trailer_;
};

// Writes the chunk-size line "<hex>\r\n" for a chunk of `size` bytes into `out` (>= 18 bytes);
// returns its length.
size_t writeChunkSizeLine(uint64_t size, char* out);

}  // namespace tidegate::http
