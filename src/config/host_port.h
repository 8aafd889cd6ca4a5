#pragma once
// The config's own syntactic check of a numeric "host:port" (listen and backend addresses).
// config/ sits below net/ in the layer diagram, so it cannot use net::parseAddress; this
// check accepts the same numeric forms and gives the user a precise message when it cannot.

#include <string>
#include <string_view>

#include "core/result.h"

namespace tidegate::config {

// Accepts "IPv4:port" (dotted quad) or "[IPv6]:port", port 1..65535; host names are refused
// because nothing resolves them. Returns the canonical spelling (IPv6 compressed and lower
// case, port without leading zeros), so equal addresses compare equal as strings.
Result<std::string> canonicalHostPort(std::string_view text);

}  // namespace tidegate::config
