// methodFromToken: maps the registered methods (RFC 9110 §9, RFC 5789) to the enum.

#include "http/method.h"

namespace tidegate::http {

Method methodFromToken(std::string_view token) {
  switch (token.size()) {
    case 3:
      if (token == "GET") return Method::kGet;
      if (token == "PUT") return Method::kPut;
      break;
    case 4:
      if (token == "HEAD") return Method::kHead;
      if (token == "POST") return Method::kPost;
      break;
    case 5:
      if (token == "PATCH") return Method::kPatch;
      if (token == "TRACE") return Method::kTrace;
      break;
    case 6:
      if (token == "DELETE") return Method::kDelete;
      break;
    case 7:
      if (token == "OPTIONS") return Method::kOptions;
      if (token == "CONNECT") return Method::kConnect;
      break;
    default:
      break;
  }
  return Method::kOther;
}

}  // namespace tidegate::http
