#include "proxy/head_writer.h"

#include <cstring>

#include "http/parser.h"
#include "http/status.h"

namespace tidegate::proxy {

void HeadWriter::put(std::string_view s) {
  if (s.size() > cap_ - len_) {
    overflow_ = true;
    return;
  }
  std::memcpy(out_ + len_, s.data(), s.size());
  len_ += s.size();
}

void HeadWriter::putUint(uint64_t v) {
  char tmp[24];
  char* p = tmp + sizeof tmp;
  do {
    *--p = char('0' + v % 10);
    v /= 10;
  } while (v);
  put({p, size_t(tmp + sizeof tmp - p)});
}

void HeadWriter::header(std::string_view name, std::string_view value) {
  put(name);
  put(": ");
  put(value);
  put("\r\n");
}

namespace {

// Fields the proxy rewrites itself, on top of the hop-by-hop set.
bool isRewrittenRequestField(std::string_view name) {
  switch (name.size()) {
    case 4:
      return http::equalsLower(name, "host");
    case 6:
      return http::equalsLower(name, "expect");
    case 14:
      return http::equalsLower(name, "content-length");
    case 15:
      return http::equalsLower(name, "x-forwarded-for");
    case 17:
      return http::equalsLower(name, "x-forwarded-proto");
    default:
      return false;
  }
}

bool shouldDrop(const http::HeaderList& headers, bool has_connection_tokens,
                std::string_view name) {
  if (http::isHopByHopField(name)) return true;
  return has_connection_tokens && http::isNamedByConnection(headers, name);
}

}  // namespace

void writeUpstreamRequestHead(const http::RequestHead& req, const ForwardedFor& fwd, HeadWriter& w,
                              std::string_view& request_id_out) {
  w.put(req.method_text);
  w.put(" ");
  if (req.target_form == http::TargetForm::kAbsolute) {
    w.put(req.path);
    if (!req.query.empty()) {
      w.put("?");
      w.put(req.query);
    }
  } else {
    w.put(req.target);
  }
  w.put(" HTTP/1.1\r\n");

  // Host first (RFC 9112 §3.2 SHOULD); for absolute-form the target's authority wins.
  if (req.target_form == http::TargetForm::kAbsolute) {
    w.header("Host", req.authority);
  } else if (const http::Header* host = req.headers.find("host")) {
    w.header(host->name, host->value);
  } else {
    w.header("Host", fwd.default_host);  // HTTP/1.0 without Host; we speak 1.1 upstream
  }

  request_id_out = {};
  for (const http::Header& h : req.headers) {
    if (shouldDrop(req.headers, req.has_connection_tokens, h.name)) continue;
    if (isRewrittenRequestField(h.name)) continue;
    if (h.name.size() == 12 && request_id_out.empty() && http::equalsLower(h.name, "x-request-id"))
      request_id_out = h.value;
    w.header(h.name, h.value);
  }
  if (request_id_out.empty()) {
    request_id_out = fwd.request_id;
    w.header("X-Request-Id", fwd.request_id);
  }
  // Every earlier hop's X-Forwarded-For line, in order, then the client we saw.
  w.put("X-Forwarded-For: ");
  for (const http::Header& h : req.headers) {
    if (h.name.size() == 15 && http::equalsLower(h.name, "x-forwarded-for") && !h.value.empty()) {
      w.put(h.value);
      w.put(", ");
    }
  }
  w.put(fwd.client_ip);
  w.put("\r\n");
  w.header("X-Forwarded-Proto", fwd.proto);

  switch (req.framing) {
    case http::BodyFraming::kContentLength:
      w.put("Content-Length: ");
      w.putUint(req.content_length);
      w.put("\r\n");
      break;
    case http::BodyFraming::kChunked:
      w.put("Transfer-Encoding: chunked\r\n");
      break;
    default:
      // An empty body announced as "Content-Length: 0" keeps its announcement: servers may
      // insist on it for POST and PUT (411 Length Required).
      if (req.method != http::Method::kGet && req.method != http::Method::kHead &&
          req.headers.find("content-length"))
        w.put("Content-Length: 0\r\n");
      break;
  }
  w.put("\r\n");
}

bool hasOtherTransferCodings(const http::ResponseHead& resp) {
  for (const http::Header& h : resp.headers)
    if (h.name.size() == 17 && http::equalsLower(h.name, "transfer-encoding") &&
        !http::equalsLower(h.value, "chunked"))
      return true;
  return false;
}

void writeClientResponseHead(const http::ResponseHead& resp, uint8_t client_minor,
                             ClientCoding coding, bool close, HeadWriter& w) {
  w.put("HTTP/1.1 ");
  w.putUint(resp.status);
  w.put(" ");
  w.put(resp.reason.empty() ? http::reasonPhrase(resp.status) : resp.reason);
  w.put("\r\n");
  for (const http::Header& h : resp.headers) {
    if (coding == ClientCoding::kAsReceived && h.name.size() == 17 &&
        http::equalsLower(h.name, "transfer-encoding")) {
      w.header(h.name, h.value);
      continue;
    }
    if (shouldDrop(resp.headers, resp.has_connection_tokens, h.name)) continue;
    w.header(h.name, h.value);
  }
  if (coding == ClientCoding::kChunked) w.put("Transfer-Encoding: chunked\r\n");
  if (close) {
    w.put("Connection: close\r\n");
  } else if (client_minor == 0) {
    w.put("Connection: keep-alive\r\n");
  }
  w.put("\r\n");
}

void writeScriptResponseHead(int status, size_t body_size, std::span<const lua::HeaderRef> headers,
                             std::string_view request_id, bool close, HeadWriter& w) {
  w.put("HTTP/1.1 ");
  w.putUint(uint64_t(status));
  w.put(" ");
  w.put(http::reasonPhrase(status));
  w.put("\r\n");
  bool has_type = false, has_server = false;
  for (const lua::HeaderRef& h : headers) {
    has_type |= h.name.size() == 12 && http::equalsLower(h.name, "content-type");
    has_server |= h.name.size() == 6 && http::equalsLower(h.name, "server");
    w.header(h.name, h.value);
  }
  if (!has_server) w.put("Server: tidegate\r\n");
  if (!has_type) w.put("Content-Type: text/plain\r\n");
  w.put("Content-Length: ");
  w.putUint(body_size);
  w.put("\r\n");
  if (!request_id.empty()) w.header("X-Request-Id", request_id);
  if (close) w.put("Connection: close\r\n");
  w.put("\r\n");
}

void writeLocalResponse(int status, std::string_view body, std::string_view request_id, bool close,
                        HeadWriter& w) {
  w.put("HTTP/1.1 ");
  w.putUint(uint64_t(status));
  w.put(" ");
  w.put(http::reasonPhrase(status));
  w.put("\r\nServer: tidegate\r\nContent-Type: text/plain\r\nContent-Length: ");
  w.putUint(body.size());
  w.put("\r\n");
  if (!request_id.empty()) w.header("X-Request-Id", request_id);
  if (close) w.put("Connection: close\r\n");
  w.put("\r\n");
  w.put(body);
}

}  // namespace tidegate::proxy
