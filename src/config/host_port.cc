#include "config/host_port.h"

#include <arpa/inet.h>

#include <charconv>

namespace tidegate::config {
namespace {

Error invalid(std::string_view text, std::string_view why) {
  std::string message = "invalid address '";
  message.append(text).append("': ").append(why);
  return Error(ErrorSource::kConfig, std::move(message));
}

}  // namespace

Result<std::string> canonicalHostPort(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  bool v6 = !text.empty() && text.front() == '[';
  if (v6) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return invalid(text, "missing ']' after the IPv6 address");
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return invalid(text, "a port is required, e.g. \"[::1]:8080\"");
    }
    port_text = rest.substr(1);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return invalid(text, "a port is required, e.g. \"127.0.0.1:8080\"");
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return invalid(text, "an IPv6 address must be in brackets, e.g. \"[::1]:8080\"");
    }
  }

  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port < 1 || port > 65535) {
    return invalid(text, "the port must be a number from 1 to 65535");
  }

  // inet_pton needs a terminated string; hosts are short, so a stack buffer does.
  char buf[INET6_ADDRSTRLEN + 1];
  if (host.empty() || host.size() >= sizeof(buf)) {
    return invalid(text, v6 ? "not a valid IPv6 address"
                            : "the host must be a numeric IPv4 address (names are not resolved)");
  }
  host.copy(buf, host.size());
  buf[host.size()] = '\0';

  std::string out;
  if (v6) {
    in6_addr addr6;
    char canonical[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET6, buf, &addr6) != 1 ||
        inet_ntop(AF_INET6, &addr6, canonical, sizeof(canonical)) == nullptr) {
      return invalid(text, "not a valid IPv6 address");
    }
    out.append("[").append(canonical).append("]");
  } else {
    in_addr addr4;
    if (inet_pton(AF_INET, buf, &addr4) != 1) {
      return invalid(text, "the host must be a numeric IPv4 address (names are not resolved)");
    }
    out.append(host);
  }
  out.append(":").append(std::to_string(port));
  return out;
}

}  // namespace tidegate::config
