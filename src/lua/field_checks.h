#pragma once
// What a script may write into a request or response: header names that are tokens, values
// without CR/LF/NUL, paths and queries of visible ASCII, and never the fields that decide
// framing or belong to one connection (the gateway manages those). Pure; any thread.

#include <string_view>

namespace tidegate::lua {

bool isToken(std::string_view s);
// VCHAR, SP, HTAB and obs-text (RFC 9110 §5.5); no CR, LF, NUL or other controls.
bool isFieldValue(std::string_view s);
// Origin-form path: starts with '/', visible ASCII without '?' and '#'.
bool isPath(std::string_view s);
// Query without '?': visible ASCII without '#'; may be empty.
bool isQuery(std::string_view s);
// Content-Length, Transfer-Encoding, Connection, Keep-Alive, TE, Trailer, Upgrade,
// Proxy-Connection (case-insensitive).
bool isManagedHeader(std::string_view name);

}  // namespace tidegate::lua
