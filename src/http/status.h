#pragma once
// Status codes the gateway generates itself, and their reason phrases.

#include <cstdint>
#include <string_view>

namespace tidegate::http {

// The standard reason phrase of `code`, or "Unknown".
std::string_view reasonPhrase(int code);

}  // namespace tidegate::http
