#pragma once
// Logging: a thin facade over spdlog so modules never include it directly.
// Safe from any thread; formatting is fmt's.

#include <spdlog/spdlog.h>

namespace tidegate::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Sets the process-wide level, e.g. from `--log-level` or config.
void setLevel(Level level);
// Parses "debug" | "info" | "warn" | "error"; false when unknown.
bool parseLevel(std::string_view text, Level& out);

template <typename... Args>
void debug(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::debug(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void info(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::info(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::warn(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void error(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::error(fmt, std::forward<Args>(args)...);
}

}  // namespace tidegate::log
