#pragma once
// Listening sockets with SO_REUSEPORT: every worker binds its own socket to the same
// address and the kernel spreads new connections across them, so accept never contends.

#include <asio/ip/tcp.hpp>
#include <asio/ip/v6_only.hpp>

#include "core/result.h"
#include "net/address.h"

namespace tidegate::net {

// Opens, binds and listens on `address` with SO_REUSEADDR and SO_REUSEPORT, on `io`.
Result<asio::ip::tcp::acceptor> openReusePortListener(asio::io_context& io, const Address& address,
                                                      int backlog);

// asio endpoint from our Address.
asio::ip::tcp::endpoint toEndpoint(const Address& address);

}  // namespace tidegate::net
