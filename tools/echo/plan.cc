#include "echo/plan.h"

#include <charconv>

#include "echo/options.h"

namespace tidegate::echo {
namespace {

// The path of an origin-form or absolute-form target, without the query.
std::string_view pathOf(std::string_view target, std::string_view& query) {
  if (target.starts_with("http://") || target.starts_with("https://")) {
    size_t authority = target.find("://") + 3;
    size_t slash = target.find_first_of("/?", authority);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  size_t mark = target.find('?');
  query = mark == std::string_view::npos ? std::string_view() : target.substr(mark + 1);
  return target.substr(0, mark);
}

// "/echo" matches "/echo" and "/api/echo" but not "/myecho".
bool endsWithSegment(std::string_view path, std::string_view slash_segment) {
  return path.ends_with(slash_segment);
}

bool parseStatus(std::string_view text, int& status) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), status);
  return ec == std::errc() && end == text.data() + text.size() && text.size() == 3 &&
         status >= 200 && status <= 599;
}

bool parseSize(std::string_view text, size_t& size) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), size);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty() &&
         size <= (size_t(1) << 30);
}

void badRequest(Plan& plan) {
  plan.shape.status = 400;
  plan.body = Plan::Body::kReason;
}

}  // namespace

Plan makePlan(const RequestHead& head, const Options& options, double fail_draw,
              double close_draw) {
  Plan plan;
  plan.latency_ns = options.latency_ns;
  plan.cpu_ns = options.cpu_ns;
  plan.uses_slot = options.slots > 0;
  bool exempt = false;

  std::string_view query;
  std::string_view path = pathOf(head.target, query);
  const bool metrics = !options.metrics_path.empty() && endsWithSegment(path, options.metrics_path);
  if (metrics) plan.body = Plan::Body::kMetrics;
  if (endsWithSegment(path, "/echo") && !metrics) {
    plan.body = Plan::Body::kEcho;
  } else if (endsWithSegment(path, "/healthz") || metrics) {
    exempt = true;
    plan.counted = false;  // probes and scrapes do not change what --metrics reports
    plan.latency_ns = 0;
    plan.cpu_ns = 0;
    plan.uses_slot = false;
  } else if (size_t slash = path.rfind('/');
             slash != std::string_view::npos && endsWithSegment(path.substr(0, slash), "/status")) {
    plan.body = Plan::Body::kReason;
    if (!parseStatus(path.substr(slash + 1), plan.shape.status)) badRequest(plan);
  }

  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = param.substr(0, eq);
    std::string_view value = param.substr(eq + 1);
    if (name == "latency" || name == "cpu") {
      auto ns = parseDurationNs(value);
      if (!ns) {
        badRequest(plan);
      } else {
        (name == "latency" ? plan.latency_ns : plan.cpu_ns) = *ns;
      }
    } else if (name == "status") {
      if (parseStatus(value, plan.shape.status)) {
        if (plan.body == Plan::Body::kFixed) plan.body = Plan::Body::kReason;
      } else {
        badRequest(plan);
      }
    } else if (name == "size") {
      if (parseSize(value, plan.size)) {
        plan.body = Plan::Body::kSized;
      } else {
        badRequest(plan);
      }
    } else if (name == "close") {
      if (value == "before") {
        plan.cut = Plan::Cut::kBefore;
      } else if (value == "mid") {
        plan.cut = Plan::Cut::kMid;
      } else {
        badRequest(plan);
      }
    }
  }

  if (!exempt) {
    // A request that already asked for an error keeps it.
    if (fail_draw < options.fail_rate && plan.shape.status < 400) {
      plan.shape.status = options.fail_status;
      plan.body = Plan::Body::kReason;
    }
    if (plan.cut == Plan::Cut::kNone && close_draw < options.close_rate) {
      plan.cut = Plan::Cut::kMid;
    }
  }

  plan.shape.chunked = options.chunked && head.minor_version >= 1;
  plan.shape.close = !head.keepAlive();
  plan.shape.keep_alive = head.minor_version == 0 && head.keepAlive();
  plan.shape.head_only = head.method == "HEAD";
  return plan;
}

}  // namespace tidegate::echo
