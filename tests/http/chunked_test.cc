#include "http/chunked.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "test_util.h"

namespace tidegate::http {
namespace {

using Kind = ChunkedDecoder::Kind;

struct Decoded {
  std::string data;
  std::vector<std::string> trailers;
  bool done = false;
  std::string error;
  std::string rest;  // bytes after the message
  size_t data_steps = 0;
};

// Feeds `wire` to the decoder `feed` bytes at a time, the way reads would deliver it, keeping
// the unconsumed bytes in a buffer like a connection does.
Decoded decode(std::string_view wire, size_t feed, ChunkedDecoder decoder = ChunkedDecoder()) {
  Decoded out;
  std::string buf;
  size_t fed = 0;
  for (int guard = 0; guard < 100000; ++guard) {
    ChunkedDecoder::Step s = decoder.next(buf);
    EXPECT_LE(s.consumed, buf.size());
    EXPECT_TRUE(testing::inside(s.bytes, buf));
    switch (s.kind) {
      case Kind::kData:
        EXPECT_FALSE(s.bytes.empty());
        out.data += s.bytes;
        ++out.data_steps;
        buf.erase(0, s.consumed);
        break;
      case Kind::kTrailer:
        out.trailers.emplace_back(s.bytes);
        buf.erase(0, s.consumed);
        break;
      case Kind::kDone:
        EXPECT_TRUE(decoder.done());
        out.done = true;
        out.rest = buf.substr(s.consumed) + std::string(wire.substr(fed));
        return out;
      case Kind::kError:
        EXPECT_FALSE(s.error.empty());
        out.error = s.error;
        return out;
      case Kind::kIncomplete:
        EXPECT_EQ(s.consumed, 0u);
        if (fed == wire.size()) return out;
        buf.append(wire.substr(fed, feed));
        fed = std::min(wire.size(), fed + feed);
        break;
    }
  }
  ADD_FAILURE() << "decoder made no progress";
  return out;
}

TEST(ChunkedDecoderTest, SimpleBodyInOneBuffer) {
  ChunkedDecoder d;
  const std::string wire = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT";
  std::string_view in = wire;
  ChunkedDecoder::Step s = d.next(in);
  ASSERT_EQ(s.kind, Kind::kData);
  EXPECT_EQ(s.bytes, "hello");
  EXPECT_EQ(s.bytes.data(), in.data() + 3);  // zero-copy
  EXPECT_EQ(s.consumed, 8u);
  in.remove_prefix(s.consumed);
  s = d.next(in);
  ASSERT_EQ(s.kind, Kind::kData);
  EXPECT_EQ(s.bytes, " world");
  EXPECT_EQ(s.consumed, 2u + 3u + 6u);  // previous CRLF, size line, data
  in.remove_prefix(s.consumed);
  s = d.next(in);
  ASSERT_EQ(s.kind, Kind::kDone);
  EXPECT_EQ(s.consumed, 2u + 3u + 2u);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(in.substr(s.consumed), "NEXT");
  // Once done it stays done and consumes nothing more.
  s = d.next(in.substr(s.consumed));
  EXPECT_EQ(s.kind, Kind::kDone);
  EXPECT_EQ(s.consumed, 0u);
}

TEST(ChunkedDecoderTest, ExtensionsAndTrailersOneByteAtATime) {
  const std::string wire =
      "4;name=value;flag\r\nWiki\r\n"
      "5;q=\"quoted \\\" ;=\"\r\npedia\r\n"
      "E\r\n in\r\n\r\nchunks.\r\n"
      "0;last\r\n"
      "Expires: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
      "X-Checksum:  abc \r\n"
      "\r\n"
      "GET";
  Decoded d = decode(wire, 1);
  EXPECT_EQ(d.error, "");
  ASSERT_TRUE(d.done);
  EXPECT_EQ(d.data, "Wikipedia in\r\n\r\nchunks.");
  ASSERT_EQ(d.trailers.size(), 2u);
  EXPECT_EQ(d.trailers[0], "Expires: Wed, 21 Oct 2015 07:28:00 GMT\r\n");
  EXPECT_EQ(d.trailers[1], "X-Checksum:  abc \r\n");
  EXPECT_EQ(d.rest, "GET");
  // Every feed size decodes the same.
  for (size_t feed = 2; feed <= wire.size(); ++feed) {
    Decoded other = decode(wire, feed);
    ASSERT_TRUE(other.done) << feed;
    EXPECT_EQ(other.data, d.data) << feed;
    EXPECT_EQ(other.trailers, d.trailers) << feed;
    EXPECT_EQ(other.rest, "GET") << feed;
  }
}

TEST(ChunkedDecoderTest, DataPieceMayBeShorterThanTheChunk) {
  ChunkedDecoder d;
  ChunkedDecoder::Step s = d.next("a\r\n0123");
  ASSERT_EQ(s.kind, Kind::kData);
  EXPECT_EQ(s.bytes, "0123");
  EXPECT_EQ(s.consumed, 7u);
  s = d.next("456789");
  ASSERT_EQ(s.kind, Kind::kData);
  EXPECT_EQ(s.bytes, "456789");
  s = d.next("\r");
  EXPECT_EQ(s.kind, Kind::kIncomplete);
  s = d.next("\r\n0\r\n\r\n");
  EXPECT_EQ(s.kind, Kind::kDone);
  EXPECT_EQ(s.consumed, 7u);
}

TEST(ChunkedDecoderTest, SizeLineAloneConsumesNothing) {
  ChunkedDecoder d;
  ChunkedDecoder::Step s = d.next("5\r\n");
  EXPECT_EQ(s.kind, Kind::kIncomplete);
  EXPECT_EQ(s.consumed, 0u);
  s = d.next("5\r\nab");
  ASSERT_EQ(s.kind, Kind::kData);
  EXPECT_EQ(s.bytes, "ab");
}

TEST(ChunkedDecoderTest, HexSizes) {
  Decoded d = decode("A\r\n0123456789\r\n00000010\r\n0123456789abcdef\r\n0\r\n\r\n", 64);
  ASSERT_TRUE(d.done) << d.error;
  EXPECT_EQ(d.data.size(), 26u);
  d = decode("000000000000000a\r\n0123456789\r\n0\r\n\r\n", 64);  // 16 digits
  ASSERT_TRUE(d.done) << d.error;
  EXPECT_EQ(d.data.size(), 10u);
}

TEST(ChunkedDecoderTest, LargestSizeDoesNotOverflow) {
  ChunkedDecoder d;
  ChunkedDecoder::Step s = d.next("ffffffffffffffff\r\nxyz");
  ASSERT_EQ(s.kind, Kind::kData);
  EXPECT_EQ(s.bytes, "xyz");
}

TEST(ChunkedDecoderTest, EmptyBody) {
  Decoded d = decode("0\r\n\r\n", 1);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.data, "");
  EXPECT_TRUE(d.trailers.empty());
}

TEST(ChunkedDecoderTest, ResetStartsOver) {
  ChunkedDecoder d;
  ASSERT_EQ(d.next("0\r\n\r\n").kind, Kind::kDone);
  d.reset();
  EXPECT_FALSE(d.done());
  ChunkedDecoder::Step s = d.next("1\r\nx\r\n");
  ASSERT_EQ(s.kind, Kind::kData);
  EXPECT_EQ(s.bytes, "x");
}

struct BadChunked {
  const char* name;
  std::string wire;
};

const BadChunked kBadChunked[] = {
    {"EmptySize", "\r\nabc\r\n0\r\n\r\n"},
    {"HexPrefix", "0x5\r\nhello\r\n0\r\n\r\n"},
    {"MinusSign", "-5\r\nhello\r\n0\r\n\r\n"},
    {"PlusSign", "+5\r\nhello\r\n0\r\n\r\n"},
    {"LeadingSpace", " 5\r\nhello\r\n0\r\n\r\n"},
    {"TrailingSpace", "5 \r\nhello\r\n0\r\n\r\n"},
    {"WhitespaceBeforeSemicolon", "5 ;a\r\nhello\r\n0\r\n\r\n"},
    {"WhitespaceAfterSemicolon", "5; a\r\nhello\r\n0\r\n\r\n"},
    {"JunkAfterSize", "5x\r\nhello\r\n0\r\n\r\n"},
    {"SeventeenDigits", "00000000000000005\r\nhello\r\n0\r\n\r\n"},
    {"EmptyExtension", "5;\r\nhello\r\n0\r\n\r\n"},
    {"EmptyExtensionValue", "5;a=\r\nhello\r\n0\r\n\r\n"},
    {"ExtensionBadChar", "5;a@b\r\nhello\r\n0\r\n\r\n"},
    {"UnterminatedQuotedExtension", "5;a=\"x\r\nhello\r\n0\r\n\r\n"},
    {"JunkAfterQuotedExtension", "5;a=\"x\"y\r\nhello\r\n0\r\n\r\n"},
    {"CtlInQuotedExtension", "5;a=\"x\x01\"\r\nhello\r\n0\r\n\r\n"},
    {"BareLfAfterSize", "5\nhello\r\n0\r\n\r\n"},
    {"BareCrAfterSize", "5\rhello\r\n0\r\n\r\n"},
    {"BareLfInExtension", "5;a\nhello\r\n0\r\n\r\n"},
    {"DataLongerThanSize", "5\r\nhelloX\r\n0\r\n\r\n"},
    {"BareLfAfterData", "5\r\nhello\n0\r\n\r\n"},
    {"BareCrAfterData", "5\r\nhello\rX0\r\n\r\n"},
    {"BareLfAfterLastChunk", "0\n\r\n"},
    {"BareLfEndsTrailers", "0\r\n\n"},
    {"TrailerObsFold", "0\r\nX-A: 1\r\n 2\r\n\r\n"},
    {"TrailerSpaceBeforeColon", "0\r\nX-A : 1\r\n\r\n"},
    {"TrailerNul", std::string("0\r\nX-A: \0\r\n\r\n", 13)},
    {"TrailerBareLf", "0\r\nX-A: 1\n\r\n"},
    {"TrailerWithoutColon", "0\r\nX-A\r\n\r\n"},
};

// Prints the case name instead of the struct's bytes in failure messages.
void PrintTo(const BadChunked& c, std::ostream* os) {
  *os << c.name;
}

class ChunkedRejectionTest : public ::testing::TestWithParam<BadChunked> {};

TEST_P(ChunkedRejectionTest, Rejected) {
  for (size_t feed : {size_t{1}, size_t{3}, size_t{1000}}) {
    Decoded d = decode(GetParam().wire, feed);
    EXPECT_FALSE(d.done) << "feed " << feed;
    EXPECT_NE(d.error, "") << "feed " << feed;
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, ChunkedRejectionTest, ::testing::ValuesIn(kBadChunked),
                         [](const ::testing::TestParamInfo<BadChunked>& info) {
                           return std::string(info.param.name);
                         });

TEST(ChunkedDecoderLimitsTest, SizeLineAtAndPastLimit) {
  // The line without its CRLF may be max_line_bytes long.
  const std::string at = "5;e=" + std::string(16 - 4, 'x');  // 16 bytes
  Decoded d = decode(at + "\r\nhello\r\n0\r\n\r\n", 1, ChunkedDecoder(16, 100));
  EXPECT_TRUE(d.done) << d.error;
  d = decode(at + "x\r\nhello\r\n0\r\n\r\n", 1, ChunkedDecoder(16, 100));
  EXPECT_EQ(d.error, "chunk-size line too long");
  // Known before the line ends.
  ChunkedDecoder decoder(16, 100);
  EXPECT_EQ(decoder.next(at).kind, Kind::kIncomplete);
  EXPECT_EQ(decoder.next(at + "x").kind, Kind::kError);
}

TEST(ChunkedDecoderLimitsTest, TrailerSectionAtAndPastLimit) {
  // Trailer section = "X-A: 12345\r\n" (12) + final CRLF (2) = 14 bytes.
  const std::string wire = "0\r\nX-A: 12345\r\n\r\n";
  Decoded d = decode(wire, 1, ChunkedDecoder(64, 14));
  EXPECT_TRUE(d.done) << d.error;
  d = decode(wire, 1, ChunkedDecoder(64, 13));
  EXPECT_EQ(d.error, "trailer section too large");
  d = decode("0\r\nX-A: 123456\r\n\r\n", 100, ChunkedDecoder(64, 14));
  EXPECT_EQ(d.error, "trailer section too large");
}

TEST(WriteChunkSizeLineTest, Encodes) {
  char buf[18];
  EXPECT_EQ(std::string_view(buf, writeChunkSizeLine(0, buf)), "0\r\n");
  EXPECT_EQ(std::string_view(buf, writeChunkSizeLine(10, buf)), "a\r\n");
  EXPECT_EQ(std::string_view(buf, writeChunkSizeLine(4096, buf)), "1000\r\n");
  EXPECT_EQ(std::string_view(buf, writeChunkSizeLine(UINT64_MAX, buf)), "ffffffffffffffff\r\n");
}

TEST(WriteChunkSizeLineTest, RoundTripsThroughTheDecoder) {
  for (uint64_t size : {1ull, 15ull, 16ull, 255ull, 256ull, 65535ull, 1ull << 40}) {
    char line[18];
    const size_t n = writeChunkSizeLine(size, line);
    const std::string wire = std::string(line, n) + "ab";
    ChunkedDecoder d;
    ChunkedDecoder::Step s = d.next(wire);
    ASSERT_EQ(s.kind, Kind::kData) << size;
    EXPECT_EQ(s.bytes, size == 1 ? "a" : "ab");
  }
}

}  // namespace
}  // namespace tidegate::http
