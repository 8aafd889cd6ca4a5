#pragma once
// Where a configuration value came from, for messages such as "gateway.yaml:12:5: ...".

#include <string>

namespace tidegate::config {

struct SourceMark {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

}  // namespace tidegate::config
