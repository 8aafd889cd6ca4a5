#pragma once
// Error: what went wrong, where it came from, and whether trying again could help.
// The source decides the status code, retry and logging in one place (see proxy/).

#include <string>
#include <utility>

namespace tidegate {

enum class ErrorSource {
  kDownstream,  // the client sent something we refuse
  kUpstream,    // a backend failed or misbehaved
  kInternal,    // a bug or resource exhaustion in the gateway
  kConfig,      // configuration is invalid
  kScript,      // a user script failed
};

class Error {
 public:
  Error(ErrorSource source, std::string message, bool retryable = false)
      : source_(source), retryable_(retryable), message_(std::move(message)) {}

  ErrorSource source() const { return source_; }
  bool retryable() const { return retryable_; }
  const std::string& message() const { return message_; }

 private:
  ErrorSource source_;
  bool retryable_;
  std::string message_;
};

}  // namespace tidegate
