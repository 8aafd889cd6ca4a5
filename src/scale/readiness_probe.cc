#include "scale/readiness_probe.h"

#include <fmt/format.h>

namespace tidegate::scale {

std::shared_ptr<upstream::HttpFetch> startReadinessProbe(asio::io_context& io,
                                                         const asio::ip::tcp::endpoint& endpoint,
                                                         std::string_view path,
                                                         std::chrono::milliseconds timeout,
                                                         std::function<void(ProbeResult)> done) {
  upstream::FetchRequest request;
  request.endpoint = endpoint;
  const auto address = endpoint.address();
  request.host = address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                                 : fmt::format("{}:{}", address.to_string(), endpoint.port());
  request.target = path.empty() ? "/" : std::string(path);
  request.user_agent = "tidegate-readiness";
  request.timeout = timeout;
  request.status_line_only = true;
  return upstream::HttpFetch::start(
      io, request, [done = std::move(done)](upstream::FetchResult fetched) {
        ProbeResult result;
        result.status = fetched.status;
        result.ready = fetched.outcome == upstream::FetchResult::Outcome::kResponse &&
                       fetched.status >= 200 && fetched.status < 300;
        result.detail = std::move(fetched.detail);
        done(std::move(result));
      });
}

}  // namespace tidegate::scale
