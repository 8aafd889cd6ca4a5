#include "lua/field_checks.h"

#include <cstdint>

namespace tidegate::lua {
namespace {

bool isTchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool equalsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isTchar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool isFieldValue(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 ? c != '\t' : c == 0x7f) return false;
  }
  return true;
}

bool isPath(std::string_view s) {
  if (s.empty() || s[0] != '/') return false;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#') return false;
  }
  return true;
}

bool isQuery(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '#') return false;
  }
  return true;
}

bool isManagedHeader(std::string_view name) {
  for (std::string_view managed : {"content-length", "transfer-encoding", "connection",
                                   "keep-alive", "te", "trailer", "upgrade", "proxy-connection"}) {
    if (equalsLower(name, managed)) return true;
  }
  return false;
}

}  // namespace tidegate::lua
