#pragma once
// Socket addresses written as "host:port" or "[v6]:port", numeric only: the gateway never
// resolves names on a worker thread.

#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

namespace tidegate::net {

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  const sockaddr* sockaddrPtr() const { return reinterpret_cast<const sockaddr*>(&storage); }
  uint16_t port() const;
  // "127.0.0.1:8080" or "[::1]:8080".
  std::string toString() const;
};

// Parses "1.2.3.4:80", "[::1]:80", "*:80" / "0.0.0.0:80" (any IPv4), "localhost:80"
// (127.0.0.1). Returns nullopt when malformed.
std::optional<Address> parseAddress(std::string_view text);

}  // namespace tidegate::net
