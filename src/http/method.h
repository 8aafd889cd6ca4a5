#pragma once
// Request methods: the registered ones get an enum for fast checks; any other token is an
// extension method (kOther) and is forwarded as sent.

#include <cstdint>
#include <string_view>

namespace tidegate::http {

enum class Method : uint8_t {
  kGet,
  kHead,
  kPost,
  kPut,
  kDelete,
  kConnect,
  kOptions,
  kTrace,
  kPatch,
  kOther
};

// Case-sensitive, as RFC 9110 §9.1 says.
Method methodFromToken(std::string_view token);

// Safe and idempotent methods may be retried on another connection (RFC 9110 §9.2.2).
inline bool isIdempotent(Method m) {
  return m == Method::kGet || m == Method::kHead || m == Method::kPut || m == Method::kDelete ||
         m == Method::kOptions || m == Method::kTrace;
}

}  // namespace tidegate::http
