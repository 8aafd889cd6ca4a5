#include "echo/response.h"

#include <charconv>

namespace tidegate::echo {
namespace {

void appendDecimal(std::string& out, size_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

void appendHex(std::string& out, size_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value, 16);
  out.append(digits, end);
}

}  // namespace

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 417:
      return "Expectation Failed";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Status";
  }
}

size_t appendHead(std::string& out, const ResponseShape& shape, std::string_view backend_id,
                  std::string_view content_type, size_t body_length) {
  out.append("HTTP/1.1 ");
  appendDecimal(out, size_t(shape.status));
  out.push_back(' ');
  out.append(reasonPhrase(shape.status));
  out.append("\r\n");
  if (statusHasBody(shape.status)) {
    if (shape.chunked) {
      out.append("Transfer-Encoding: chunked\r\n");
    } else {
      out.append("Content-Length: ");
      appendDecimal(out, body_length);
      out.append("\r\n");
    }
    out.append("Content-Type: ");
    out.append(content_type);
    out.append("\r\n");
  }
  out.append("X-Backend-Id: ");
  out.append(backend_id);
  out.append("\r\n");
  if (shape.close) {
    out.append("Connection: close\r\n");
  } else if (shape.keep_alive) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  return out.size();
}

void appendBody(std::string& out, const ResponseShape& shape, std::string_view body) {
  appendBody(out, shape, body, {});
}

void appendBody(std::string& out, const ResponseShape& shape, std::string_view first,
                std::string_view second) {
  if (shape.head_only || !statusHasBody(shape.status)) return;
  size_t length = first.size() + second.size();
  if (shape.chunked && length > 0) {
    appendHex(out, length);
    out.append("\r\n");
  }
  out.append(first);
  out.append(second);
  if (shape.chunked) out.append(length > 0 ? "\r\n0\r\n\r\n" : "0\r\n\r\n");
}

}  // namespace tidegate::echo
