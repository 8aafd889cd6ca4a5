#pragma once
// A downstream session: one client connection on one worker, from accept to close. It reads
// request heads, routes them, forwards each to a backend (proxy/exchange.h) and writes the
// responses back in order. Idle keep-alive sessions hold no buffer (only the socket and
// this object), which keeps 10k idle clients cheap.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

namespace tidegate::proxy {

class Worker;

// Runs until the connection closes. Owns `socket`.
asio::awaitable<void> runSession(Worker& worker, asio::ip::tcp::socket socket);

}  // namespace tidegate::proxy
