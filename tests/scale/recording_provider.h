#pragma once
// RecordingProvider: a Provider that records every scaleTo and pretends its instances become
// ready at once; a test can make the next calls fail.

#include <string>
#include <vector>

#include "scale/provider.h"

namespace tidegate::scale {

class RecordingProvider : public Provider {
 public:
  std::string_view kind() const override { return "fake"; }
  Result<Ok> scaleTo(uint32_t desired) override {
    calls.push_back(desired);
    if (!fail_with.empty()) return Error(ErrorSource::kInternal, fail_with);
    count = desired;
    return Ok{};
  }
  std::vector<InstanceInfo> instances() const override {
    std::vector<InstanceInfo> out;
    for (uint32_t i = 0; i < count; ++i) {
      InstanceInfo info;
      info.id = "p-" + std::to_string(i);
      info.state = InstanceState::kReady;
      out.push_back(info);
    }
    return out;
  }
  uint32_t readyCount() const override { return count; }
  void shutdown(std::function<void()> done) override { done(); }

  std::vector<uint32_t> calls;
  uint32_t count = 0;
  std::string fail_with;  // non-empty: scaleTo fails with this message
};

}  // namespace tidegate::scale
