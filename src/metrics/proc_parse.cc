#include "metrics/proc_parse.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

namespace tidegate::metrics {
namespace {

Error parseError(std::string_view file, std::string_view what) {
  return Error(ErrorSource::kInternal, std::string(file) + ": " + std::string(what));
}

std::string_view trimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  return s;
}

// Next line without its '\n'; consumes it from `rest`.
std::string_view nextLine(std::string_view& rest) {
  const size_t nl = rest.find('\n');
  std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

// Whitespace-separated numbers, up to the first token that is not one. Signed for
// /proc/PID/stat, which has -1 in tpgid and friends.
template <typename T>
std::vector<T> numbersOf(std::string_view s, size_t max_count) {
  std::vector<T> out;
  for (;;) {
    s = trimLeft(s);
    if (s.empty() || out.size() == max_count) break;
    T v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() ||
        (end != s.data() + s.size() && *end != ' ' && *end != '\t' && *end != '\n')) {
      break;
    }
    out.push_back(v);
    s.remove_prefix(static_cast<size_t>(end - s.data()));
  }
  return out;
}

std::vector<uint64_t> numbers(std::string_view s, size_t max_count = SIZE_MAX) {
  return numbersOf<uint64_t>(s, max_count);
}

std::vector<int64_t> signedNumbers(std::string_view s, size_t max_count) {
  return numbersOf<int64_t>(s, max_count);
}

std::optional<uint64_t> number(std::string_view s) {
  s = trimLeft(s);
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc()) return std::nullopt;
  return v;
}

// "MemTotal:       24683656 kB" -> bytes.
std::optional<uint64_t> kilobytesField(std::string_view value) {
  auto kb = number(value);
  if (!kb) return std::nullopt;
  return *kb * 1024;
}

}  // namespace

Result<CpuTimes> parseProcStat(std::string_view content) {
  CpuTimes t;
  bool found = false;
  std::string_view rest = content;
  while (!rest.empty()) {
    const std::string_view line = nextLine(rest);
    if (line.starts_with("cpu ")) {
      const std::vector<uint64_t> f = numbers(line.substr(4), 8);
      if (f.size() < 4) return parseError("/proc/stat", "cpu line has fewer than 4 fields");
      for (uint64_t v : f)
        t.total += v;
      const uint64_t idle = f[3] + (f.size() > 4 ? f[4] : 0);
      t.busy = t.total - idle;
      found = true;
    } else if (line.starts_with("cpu") && line.size() > 3 && line[3] >= '0' && line[3] <= '9') {
      ++t.cpus;
    }
  }
  if (!found) return parseError("/proc/stat", "no aggregate cpu line");
  return t;
}

double cpuUtilization(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total || after.busy < before.busy) return 0.0;
  const double busy = static_cast<double>(after.busy - before.busy);
  const double total = static_cast<double>(after.total - before.total);
  return busy >= total ? 1.0 : busy / total;
}

Result<MemInfo> parseMeminfo(std::string_view content) {
  std::optional<uint64_t> total, available, free, buffers, cached;
  std::string_view rest = content;
  while (!rest.empty()) {
    const std::string_view line = nextLine(rest);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    const std::string_view value = line.substr(colon + 1);
    if (key == "MemTotal") total = kilobytesField(value);
    if (key == "MemAvailable") available = kilobytesField(value);
    if (key == "MemFree") free = kilobytesField(value);
    if (key == "Buffers") buffers = kilobytesField(value);
    if (key == "Cached") cached = kilobytesField(value);
  }
  if (!total) return parseError("/proc/meminfo", "no MemTotal");
  if (!available) {
    if (!free) return parseError("/proc/meminfo", "neither MemAvailable nor MemFree");
    available = *free + buffers.value_or(0) + cached.value_or(0);
  }
  MemInfo m;
  m.total_bytes = *total;
  m.available_bytes = std::min(*available, *total);
  return m;
}

Result<NetBytes> parseNetDev(std::string_view content, bool include_loopback) {
  NetBytes n;
  std::string_view rest = content;
  int interfaces = 0;
  while (!rest.empty()) {
    const std::string_view line = nextLine(rest);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trimLeft(line.substr(0, colon));
    if (name.find('|') != std::string_view::npos) continue;
    const std::vector<uint64_t> f = numbers(line.substr(colon + 1), 16);
    if (f.size() < 9) return parseError("/proc/net/dev", "interface line has too few fields");
    ++interfaces;
    if (name == "lo" && !include_loopback) continue;
    n.rx_bytes += f[0];
    n.tx_bytes += f[8];
  }
  if (interfaces == 0) return parseError("/proc/net/dev", "no interface lines");
  return n;
}

Result<ProcessStat> parsePidStat(std::string_view content) {
  // "pid (comm) state ppid ..."; comm is whatever the process named itself, up to 15 bytes
  // including ')' and spaces, so take the last ')'.
  const size_t open = content.find('(');
  const size_t close = content.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return parseError("/proc/PID/stat", "no (comm)");
  }
  ProcessStat s;
  auto pid = number(content.substr(0, open));
  if (!pid) return parseError("/proc/PID/stat", "no pid");
  s.pid = static_cast<int>(*pid);
  s.comm = std::string(content.substr(open + 1, close - open - 1));
  std::string_view rest = trimLeft(content.substr(close + 1));
  if (rest.empty()) return parseError("/proc/PID/stat", "no state");
  s.state = rest.front();
  rest.remove_prefix(1);
  // Fields 4.. (1-based, as in proc(5)); f[0] is field 4 (ppid).
  const std::vector<int64_t> f = signedNumbers(rest, 21);
  if (f.size() < 21) return parseError("/proc/PID/stat", "fewer than 24 fields");
  auto field = [&](size_t n) { return static_cast<uint64_t>(std::max<int64_t>(f[n - 4], 0)); };
  s.utime_ticks = field(14);
  s.stime_ticks = field(15);
  s.start_ticks = field(22);
  s.rss_pages = field(24);
  return s;
}

Result<uint64_t> parseStatusRssBytes(std::string_view content) {
  std::string_view rest = content;
  bool named = false;
  while (!rest.empty()) {
    const std::string_view line = nextLine(rest);
    if (line.starts_with("Name:")) named = true;
    if (line.starts_with("VmRSS:")) {
      auto bytes = kilobytesField(line.substr(6));
      if (!bytes) return parseError("/proc/PID/status", "VmRSS is not a number");
      return *bytes;
    }
  }
  if (!named) return parseError("/proc/PID/status", "not a status file (no Name:)");
  return uint64_t{0};
}

}  // namespace tidegate::metrics
