#include "net/listener.h"

#include <sys/socket.h>

#include <cstring>

namespace tidegate::net {

asio::ip::tcp::endpoint toEndpoint(const Address& address) {
  asio::ip::tcp::endpoint ep;
  std::memcpy(ep.data(), &address.storage, address.length);
  ep.resize(address.length);
  return ep;
}

Result<asio::ip::tcp::acceptor> openReusePortListener(asio::io_context& io, const Address& address,
                                                      int backlog) {
  asio::ip::tcp::acceptor acceptor(io);
  std::error_code ec;
  auto ep = toEndpoint(address);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      ec = std::error_code(errno, std::system_category());
  }
  if (!ec && address.family() == AF_INET6) acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(backlog, ec);
  if (!ec) acceptor.non_blocking(true, ec);
  if (ec)
    return Error(ErrorSource::kConfig,
                 "cannot listen on " + address.toString() + ": " + ec.message());
  return acceptor;
}

}  // namespace tidegate::net
