#include "scale/provider.h"

namespace tidegate::scale {

std::string_view instanceStateName(InstanceState state) {
  switch (state) {
    case InstanceState::kStarting:
      return "starting";
    case InstanceState::kReady:
      return "ready";
    case InstanceState::kDraining:
      return "draining";
    case InstanceState::kStopping:
      return "stopping";
    case InstanceState::kBackoff:
      return "backoff";
  }
  return "unknown";
}

}  // namespace tidegate::scale
