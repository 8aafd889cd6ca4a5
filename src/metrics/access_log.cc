// AccessLog: JSON-line formatting straight into a worker's ring (producer side), and the writer
// thread that drains every ring with writev (consumer side).

#include "metrics/access_log.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace tidegate::metrics {
namespace {

constexpr size_t kMinRingBytes = 4096;
constexpr size_t kMaxIov = 1024;  // IOV_MAX on Linux

// Writes into the ring at [pos, end) with wrap-around; `ok` turns false at the first byte that
// does not fit, and the record is then abandoned (never published).
struct RingCursor {
  char* buf;
  uint64_t mask;
  uint64_t pos;
  uint64_t end;
  bool ok = true;

  void append(const char* p, size_t n) {
    if (n == 0) return;
    if (end - pos < n) {
      ok = false;
      pos = end;
      return;
    }
    const size_t off = pos & mask;
    const size_t first = std::min<size_t>(n, mask + 1 - off);
    std::memcpy(buf + off, p, first);
    if (first < n) std::memcpy(buf, p + first, n - first);
    pos += n;
  }
  void lit(std::string_view s) { append(s.data(), s.size()); }
  void put(char c) {
    if (pos == end) {
      ok = false;
      return;
    }
    buf[pos++ & mask] = c;
  }
};

// Length (2..4) of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, surrogates or
// code points past U+10FFFF), or 0 when p[0] starts none. p[0] >= 0x80.
size_t utf8Length(const unsigned char* p, size_t n) {
  const unsigned c = p[0];
  auto cont = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  if (c < 0xC2) return 0;
  if (c < 0xE0) return cont(1) ? 2 : 0;
  if (c < 0xF0) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;   // overlong
    if (c == 0xED && p[1] >= 0xA0) return 0;  // UTF-16 surrogates
    return 3;
  }
  if (c < 0xF5) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;   // overlong
    if (c == 0xF4 && p[1] >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

// True when none of the 8 bytes at p needs escaping or UTF-8 checking (bit tricks from
// "Bit Twiddling Hacks": a byte below 0x20, a zero byte after xor, or the high bit).
inline bool plainAscii8(const unsigned char* p) {
  uint64_t x;
  std::memcpy(&x, p, sizeof x);
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto zeroByte = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const uint64_t below_space = (x - kOnes * 0x20) & ~x & kHigh;
  const uint64_t special =
      zeroByte(x ^ (kOnes * '"')) | zeroByte(x ^ (kOnes * '\\')) | zeroByte(x ^ (kOnes * 0x7F));
  return ((x & kHigh) | below_space | special) == 0;
}

// A JSON string body. Control bytes, DEL and bytes that are not well-formed UTF-8 become
// \u00XX, so any request line (attackers choose it) yields one valid line of valid UTF-8.
void putEscaped(RingCursor& out, std::string_view s) {
  if (!out.ok) return;  // the record no longer fits: it will be dropped, skip the work
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t run = 0;
  size_t i = 0;
  while (i < n) {
    // Most request fields are plain printable ASCII: skip them eight bytes at a time.
    while (n - i >= 8 && plainAscii8(p + i))
      i += 8;
    if (i == n) break;
    const unsigned c = p[i];
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (size_t len = utf8Length(p + i, n - i)) {
        i += len;
        continue;
      }
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out.lit("\\\"");
        break;
      case '\\':
        out.lit("\\\\");
        break;
      case '\n':
        out.lit("\\n");
        break;
      case '\r':
        out.lit("\\r");
        break;
      case '\t':
        out.lit("\\t");
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(esc, sizeof esc);
      }
    }
    run = ++i;
  }
  out.append(s.data() + run, n - run);
}

void putUint(RingCursor& out, uint64_t v) {
  char tmp[24];
  auto [end, ec] = std::to_chars(tmp, tmp + sizeof tmp, v);
  out.append(tmp, static_cast<size_t>(end - tmp));
}

void put2(char* at, unsigned v) {
  at[0] = static_cast<char>('0' + v / 10);
  at[1] = static_cast<char>('0' + v % 10);
}

// RFC 3339 UTC with milliseconds: 2026-11-27T12:34:56.789Z. Civil date from days since the
// epoch (Howard Hinnant's algorithm): no gmtime_r, no locale, no allocation.
void putTimestamp(RingCursor& out, int64_t unix_ms) {
  constexpr int64_t kDayMs = 86'400'000;
  int64_t days = unix_ms / kDayMs;
  int64_t ms_of_day = unix_ms % kDayMs;
  if (ms_of_day < 0) {
    ms_of_day += kDayMs;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = static_cast<int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);

  char t[24];
  const auto y = static_cast<unsigned>(std::clamp<int64_t>(year, 0, 9999));
  put2(t, y / 100);
  put2(t + 2, y % 100);
  t[4] = '-';
  put2(t + 5, month);
  t[7] = '-';
  put2(t + 8, day);
  t[10] = 'T';
  const auto secs = static_cast<unsigned>(ms_of_day / 1000);
  put2(t + 11, secs / 3600);
  t[13] = ':';
  put2(t + 14, secs / 60 % 60);
  t[16] = ':';
  put2(t + 17, secs % 60);
  t[19] = '.';
  const auto ms = static_cast<unsigned>(ms_of_day % 1000);
  t[20] = static_cast<char>('0' + ms / 100);
  put2(t + 21, ms % 100);
  t[23] = 'Z';
  out.append(t, sizeof t);
}

void putString(RingCursor& out, std::string_view key_and_quote, std::string_view value) {
  out.lit(key_and_quote);
  putEscaped(out, value);
  out.put('"');
}

// Milliseconds with microsecond resolution; absent (negative, NaN, infinite) is omitted.
// Integer digits and a decimal point by hand: to_chars(double, fixed) costs several times more.
void putDuration(RingCursor& out, std::string_view key, double ms) {
  if (!(ms >= 0) || !(ms < 1e12)) return;
  out.lit(key);
  const auto us = static_cast<uint64_t>(ms * 1000.0 + 0.5);
  putUint(out, us / 1000);
  const auto frac = static_cast<unsigned>(us % 1000);
  const char tail[4] = {'.', static_cast<char>('0' + frac / 100),
                        static_cast<char>('0' + frac / 10 % 10),
                        static_cast<char>('0' + frac % 10)};
  out.append(tail, sizeof tail);
}

void formatRecord(RingCursor& out, const AccessRecord& r) {
  out.lit("{\"time\":\"");
  putTimestamp(out, r.unix_ms);
  putString(out, "\",\"request_id\":\"", r.request_id);
  putString(out, ",\"client_ip\":\"", r.client_ip);
  putString(out, ",\"method\":\"", r.method);
  putString(out, ",\"path\":\"", r.path);
  putString(out, ",\"query\":\"", r.query);
  putString(out, ",\"route\":\"", r.route);
  putString(out, ",\"upstream\":\"", r.upstream);
  putString(out, ",\"backend\":\"", r.backend);
  out.lit(",\"status\":");
  putUint(out, static_cast<uint64_t>(std::max(r.status, 0)));
  out.lit(",\"bytes_in\":");
  putUint(out, r.bytes_in);
  out.lit(",\"bytes_out\":");
  putUint(out, r.bytes_out);
  putDuration(out, ",\"duration_ms\":", r.duration_ms);
  putDuration(out, ",\"upstream_connect_ms\":", r.upstream_connect_ms);
  putDuration(out, ",\"upstream_header_ms\":", r.upstream_header_ms);
  putDuration(out, ",\"upstream_total_ms\":", r.upstream_total_ms);
  out.lit("}\n");
}

Error ioError(std::string_view what, const std::string& path) {
  return Error(ErrorSource::kConfig,
               std::string(what) + " access log " + path + ": " + std::strerror(errno));
}

int openFile(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

}  // namespace

// --- Producer side (worker i) ---

AccessLog::Writer::Writer(size_t capacity, int wake_fd)
    : buf_(new char[capacity]), mask_(capacity - 1), capacity_(capacity), wake_fd_(wake_fd) {}

AccessLog::Writer::~Writer() {
  delete[] buf_;
}

bool AccessLog::Writer::append(const AccessRecord& r) noexcept {
  // The tail is the consumer's cache line: read it only when the cached view says the ring is
  // past half full, or when the record did not fit.
  auto refresh = [this] {
    const uint64_t t = tail_.load(std::memory_order_acquire);
    if (t == tail_cached_) return false;
    tail_cached_ = t;
    woke_ = false;
    return true;
  };
  bool refreshed = false;
  if (head_local_ - tail_cached_ > capacity_ / 2) {
    refresh();
    refreshed = true;
  }
  for (;;) {
    RingCursor out{buf_, mask_, head_local_, tail_cached_ + capacity_};
    formatRecord(out, r);
    if (out.ok) {
      head_local_ = out.pos;
      head_.store(head_local_, std::memory_order_release);
      if (!woke_ && head_local_ - tail_cached_ >= capacity_ / 2) {
        // Past half full: ask the writer thread not to wait for its interval. Once per
        // consumer progress, so a busy worker makes this syscall rarely.
        woke_ = true;
        const uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
      }
      return true;
    }
    if (refreshed || !refresh()) break;
    refreshed = true;
  }
  // Single producer: a plain load and store, no locked read-modify-write.
  dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return false;
}

// --- Consumer side (writer thread, or flush()/destruction under io_mutex_) ---

Result<std::unique_ptr<AccessLog>> AccessLog::open(std::string path, size_t worker_count,
                                                   size_t per_worker_buffer_bytes,
                                                   AccessLogOptions options) {
  if (worker_count == 0) {
    return Error(ErrorSource::kConfig, "access log " + path + ": no workers");
  }
  const size_t capacity = std::bit_ceil(std::max(per_worker_buffer_bytes, kMinRingBytes));
  const int fd = openFile(path);
  if (fd < 0) return ioError("cannot open", path);
  const int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    Error e = ioError("no eventfd for", path);
    ::close(fd);
    return e;
  }
  std::unique_ptr<AccessLog> log(new AccessLog(std::move(path), fd, wake_fd, std::move(options)));
  log->writers_.reserve(worker_count);
  for (size_t i = 0; i < worker_count; ++i) {
    log->writers_.push_back(std::unique_ptr<Writer>(new Writer(capacity, wake_fd)));
  }
  log->thread_ = std::thread([raw = log.get()] { raw->run(); });
  return log;
}

AccessLog::AccessLog(std::string path, int fd, int wake_fd, AccessLogOptions options)
    : path_(std::move(path)), options_(std::move(options)), fd_(fd), wake_fd_(wake_fd) {}

AccessLog::~AccessLog() {
  stop_.store(true, std::memory_order_release);
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(io_mutex_);
    drainLocked();
  }
  ::close(fd_);
  ::close(wake_fd_);
}

void AccessLog::run() {
  pollfd pfd{wake_fd_, POLLIN, 0};
  const int timeout_ms = static_cast<int>(std::max<int64_t>(1, options_.flush_interval.count()));
  while (!stop_.load(std::memory_order_acquire)) {
    if (::poll(&pfd, 1, timeout_ms) > 0) {
      uint64_t v;
      [[maybe_unused]] ssize_t n = ::read(wake_fd_, &v, sizeof v);
    }
    std::lock_guard lock(io_mutex_);
    drainLocked();
  }
}

void AccessLog::drainLocked() {
  // One snapshot of every ring's head: whole records only, since a producer publishes a head
  // only after the line's last byte. Two iovecs per ring (the part before and after the wrap).
  struct Span {
    Writer* w;
    uint64_t head;
  };
  std::vector<Span> spans;
  std::vector<iovec> iov;
  for (auto& w : writers_) {
    const uint64_t head = w->head_.load(std::memory_order_acquire);
    const uint64_t tail = w->tail_.load(std::memory_order_relaxed);
    if (head == tail) continue;
    spans.push_back({w.get(), head});
    const uint64_t off = tail & w->mask_;
    const uint64_t len = head - tail;
    const uint64_t first = std::min(len, w->capacity_ - off);
    iov.push_back({w->buf_ + off, first});
    if (first < len) iov.push_back({w->buf_, len - first});
  }
  if (spans.empty()) return;
  if (options_.before_write) options_.before_write();

  size_t i = 0;
  while (i < iov.size()) {
    const int count = static_cast<int>(std::min(kMaxIov, iov.size() - i));
    const ssize_t n = ::writev(fd_, &iov[i], count);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Disk full or gone: this batch is lost, counted; the rings must not stall the workers.
      write_errors_.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    auto left = static_cast<size_t>(n);
    while (i < iov.size() && left >= iov[i].iov_len) {
      left -= iov[i].iov_len;
      ++i;
    }
    if (left > 0) {  // a short write: resume inside this iovec
      iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + left;
      iov[i].iov_len -= left;
    }
  }
  // Only now may the producers reuse the bytes.
  for (const Span& s : spans)
    s.w->tail_.store(s.head, std::memory_order_release);
}

Result<Ok> AccessLog::reopen() {
  const int fd = openFile(path_);
  if (fd < 0) return ioError("cannot reopen", path_);
  int old;
  {
    std::lock_guard lock(io_mutex_);
    old = fd_;
    fd_ = fd;
  }
  ::close(old);
  return Ok{};
}

void AccessLog::flush() {
  std::lock_guard lock(io_mutex_);
  drainLocked();
}

uint64_t AccessLog::dropped() const {
  uint64_t total = 0;
  for (const auto& w : writers_)
    total += w->dropped_.load(std::memory_order_relaxed);
  return total;
}

}  // namespace tidegate::metrics
