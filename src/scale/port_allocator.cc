#include "scale/port_allocator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <utility>

namespace tidegate::scale {

PortAllocator::PortAllocator(uint16_t min, uint16_t max, FreeCheck looks_free)
    : min_(min), max_(max < min ? min : max), next_(min), looks_free_(std::move(looks_free)) {}

std::optional<uint16_t> PortAllocator::acquire() {
  if (min_ == 0) return std::nullopt;  // no range configured
  for (uint32_t tried = 0; tried < capacity(); ++tried) {
    uint16_t port = next_;
    next_ = port == max_ ? min_ : uint16_t(port + 1);
    if (used_.count(port)) continue;
    if (looks_free_ && !looks_free_(port)) continue;
    used_.insert(port);
    return port;
  }
  return std::nullopt;
}

void PortAllocator::release(uint16_t port) {
  used_.erase(port);
}

bool portLooksFree(const std::string& host, uint16_t port) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
  } else {
    return true;  // not numeric: let the child find out
  }
  int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) == 0;
  ::close(fd);
  return free;
}

}  // namespace tidegate::scale
