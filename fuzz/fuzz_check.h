#pragma once
// Invariant checks shared by the http fuzz targets: a failed check prints what broke and
// aborts, which libFuzzer reports as a crash with the input saved.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/chunked.h"

#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

namespace tidegate::fuzz {

inline bool inside(std::string_view view, std::string_view buf) {
  return view.empty() ||
         (view.data() >= buf.data() && view.data() + view.size() <= buf.data() + buf.size());
}

struct ChunkedOutcome {
  std::string data;
  std::vector<std::string> trailers;
  http::ChunkedDecoder::Kind end = http::ChunkedDecoder::Kind::kIncomplete;
  size_t consumed = 0;  // total, when done

  bool operator==(const ChunkedOutcome&) const = default;
};

// Decodes `body` handing the decoder `feed` new bytes at a time, as reads would, and checks the
// step contract on the way: consumed within the input, views inside it, nothing consumed by
// kIncomplete, progress on every other step.
inline ChunkedOutcome decodeChunked(std::string_view body, size_t feed, size_t max_line,
                                    size_t max_trailer) {
  using Kind = http::ChunkedDecoder::Kind;
  http::ChunkedDecoder decoder(max_line, max_trailer);
  ChunkedOutcome out;
  std::string buf;
  size_t fed = 0;
  size_t total = 0;
  for (;;) {
    const http::ChunkedDecoder::Step s = decoder.next(buf);
    FUZZ_CHECK(s.consumed <= buf.size());
    FUZZ_CHECK(inside(s.bytes, buf));
    switch (s.kind) {
      case Kind::kData:
        FUZZ_CHECK(!s.bytes.empty());
        FUZZ_CHECK(s.bytes.data() + s.bytes.size() == buf.data() + s.consumed);
        out.data += s.bytes;
        break;
      case Kind::kTrailer:
        FUZZ_CHECK(s.bytes.size() >= 3 && s.bytes.substr(s.bytes.size() - 2) == "\r\n");
        FUZZ_CHECK(s.bytes.data() + s.bytes.size() == buf.data() + s.consumed);
        out.trailers.emplace_back(s.bytes);
        break;
      case Kind::kDone:
        FUZZ_CHECK(decoder.done());
        out.end = Kind::kDone;
        out.consumed = total + s.consumed;
        return out;
      case Kind::kError:
        FUZZ_CHECK(!s.error.empty());
        out.end = Kind::kError;
        return out;
      case Kind::kIncomplete:
        FUZZ_CHECK(s.consumed == 0);
        if (fed == body.size()) return out;
        buf.append(body.substr(fed, feed));
        fed = fed + feed < body.size() ? fed + feed : body.size();
        continue;
    }
    FUZZ_CHECK(s.consumed > 0);
    total += s.consumed;
    buf.erase(0, s.consumed);
  }
}

// The decoder must reach the same outcome whether the body arrives whole or byte by byte.
inline void checkChunked(std::string_view body) {
  const ChunkedOutcome whole = decodeChunked(body, body.size() + 1, 64, 256);
  const ChunkedOutcome bytewise = decodeChunked(body, 1, 64, 256);
  FUZZ_CHECK(whole == bytewise);
  if (whole.end == http::ChunkedDecoder::Kind::kDone) {
    FUZZ_CHECK(whole.consumed <= body.size());
    FUZZ_CHECK(whole.data.size() < whole.consumed);
  }
}

}  // namespace tidegate::fuzz
