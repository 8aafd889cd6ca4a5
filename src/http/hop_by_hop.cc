// isHopByHopField / isNamedByConnection: the fields a proxy must drop when it forwards a
// message (RFC 9110 §7.6.1), either always or because a Connection field names them.

#include <string_view>

#include "http/char_class.h"
#include "http/field_rules.h"
#include "http/parser.h"

namespace tidegate::http {

bool isHopByHopField(std::string_view name) {
  switch (name.size()) {
    case 2:
      return equalsLower(name, "te");
    case 7:
      return equalsLower(name, "trailer") || equalsLower(name, "upgrade");
    case 10:
      return equalsLower(name, "connection") || equalsLower(name, "keep-alive");
    case 16:
      return equalsLower(name, "proxy-connection");
    case 17:
      return equalsLower(name, "transfer-encoding");
    case 18:
      return equalsLower(name, "proxy-authenticate");
    case 19:
      return equalsLower(name, "proxy-authorization");
    default:
      return false;
  }
}

bool isNamedByConnection(const HeaderList& headers, std::string_view name) {
  if (name.empty()) return false;
  for (const Header& h : headers) {
    if (!equalsLower(h.name, "connection")) continue;
    bool found = false;
    forEachListElement(h.value, [&](std::string_view option) {
      if (option.size() != name.size()) return true;
      for (size_t i = 0; i < name.size(); ++i)
        if (chars::toLower(option[i]) != chars::toLower(name[i])) return true;
      found = true;
      return false;
    });
    if (found) return true;
  }
  return false;
}

}  // namespace tidegate::http
