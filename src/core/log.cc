#include "core/log.h"

namespace tidegate::log {

void setLevel(Level level) {
  switch (level) {
    case Level::kDebug:
      spdlog::set_level(spdlog::level::debug);
      break;
    case Level::kInfo:
      spdlog::set_level(spdlog::level::info);
      break;
    case Level::kWarn:
      spdlog::set_level(spdlog::level::warn);
      break;
    case Level::kError:
      spdlog::set_level(spdlog::level::err);
      break;
  }
}

bool parseLevel(std::string_view text, Level& out) {
  if (text == "debug")
    out = Level::kDebug;
  else if (text == "info")
    out = Level::kInfo;
  else if (text == "warn")
    out = Level::kWarn;
  else if (text == "error")
    out = Level::kError;
  else
    return false;
  return true;
}

}  // namespace tidegate::log
