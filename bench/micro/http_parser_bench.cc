// Head parser and chunked decoder throughput on realistic inputs. The budget is >= 1 GB/s on a
// typical browser head, so parsing stays a rounding error next to the syscalls around it.
//
//   build/h-http/bench/http_parser_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "http/chunked.h"
#include "http/parser.h"

namespace tidegate::http {
namespace {

// What Chromium sends for a page load: ~500 bytes, 12 fields, long cookie and UA values.
const std::string kBrowserRequest =
    "GET /api/v1/items/42?include=owner,tags&sort=-updated HTTP/1.1\r\n"
    "Host: shop.example.com\r\n"
    "Connection: keep-alive\r\n"
    "sec-ch-ua: \"Chromium\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n"
    "sec-ch-ua-mobile: ?0\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "Sec-Fetch-Mode: navigate\r\n"
    "Referer: https://shop.example.com/\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Cookie: session=4f9a1c2b7e8d4a6f9b0c; theme=dark; _ga=GA1.2.1234567890.1700000000\r\n"
    "\r\n";

const std::string kCurlRequest =
    "GET /healthz HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "User-Agent: curl/8.5.0\r\n"
    "Accept: */*\r\n"
    "\r\n";

const std::string kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.22.1\r\n"
    "Date: Thu, 27 Nov 2026 21:30:00 GMT\r\n"
    "Content-Type: application/json; charset=utf-8\r\n"
    "Content-Length: 1432\r\n"
    "Connection: keep-alive\r\n"
    "Cache-Control: private, max-age=0, must-revalidate\r\n"
    "ETag: \"5f2b-1432-6a0c3e2d\"\r\n"
    "Vary: Accept-Encoding\r\n"
    "\r\n";

void parseRequestBench(benchmark::State& state, const std::string& request) {
  const ParserLimits limits;
  RequestHead head;
  for (auto _ : state) {
    ParseResult r = parseRequestHead(request, limits, head);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head);
    if (r.status != ParseStatus::kComplete) state.SkipWithError("parse failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * request.size()));
  state.counters["head_bytes"] = static_cast<double>(request.size());
}

void BM_ParseBrowserRequest(benchmark::State& state) {
  parseRequestBench(state, kBrowserRequest);
}
BENCHMARK(BM_ParseBrowserRequest);

void BM_ParseCurlRequest(benchmark::State& state) {
  parseRequestBench(state, kCurlRequest);
}
BENCHMARK(BM_ParseCurlRequest);

void BM_ParseResponse(benchmark::State& state) {
  const ParserLimits limits;
  ResponseHead head;
  for (auto _ : state) {
    ParseResult r = parseResponseHead(kResponse, limits, Method::kGet, head);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head);
    if (r.status != ParseStatus::kComplete) state.SkipWithError("parse failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kResponse.size()));
}
BENCHMARK(BM_ParseResponse);

// The worst realistic case for the stateless design: a head arriving in 64-byte reads, parsed
// from the start after each one.
void BM_ParseBrowserRequestIn64ByteReads(benchmark::State& state) {
  const ParserLimits limits;
  RequestHead head;
  for (auto _ : state) {
    for (size_t n = 64;; n += 64) {
      const size_t len = n < kBrowserRequest.size() ? n : kBrowserRequest.size();
      ParseResult r =
          parseRequestHead(std::string_view(kBrowserRequest).substr(0, len), limits, head);
      benchmark::DoNotOptimize(r);
      if (r.status != ParseStatus::kIncomplete) break;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBrowserRequest.size()));
}
BENCHMARK(BM_ParseBrowserRequestIn64ByteReads);

void BM_DecodeChunked(benchmark::State& state) {
  const size_t chunk = static_cast<size_t>(state.range(0));
  std::string wire;
  char line[18];
  for (int i = 0; i < 16; ++i) {
    wire.append(line, writeChunkSizeLine(chunk, line));
    wire.append(chunk, 'x');
    wire += "\r\n";
  }
  wire += "0\r\n\r\n";
  for (auto _ : state) {
    ChunkedDecoder decoder;
    std::string_view in = wire;
    for (;;) {
      ChunkedDecoder::Step s = decoder.next(in);
      benchmark::DoNotOptimize(s);
      in.remove_prefix(s.consumed);
      if (s.kind == ChunkedDecoder::Kind::kDone || s.kind == ChunkedDecoder::Kind::kError ||
          s.kind == ChunkedDecoder::Kind::kIncomplete)
        break;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_DecodeChunked)->Arg(64)->Arg(4096);

}  // namespace
}  // namespace tidegate::http
