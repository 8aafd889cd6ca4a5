#pragma once
// Reads tidegate.yaml into a validated Config. Every problem in the file is collected in one
// pass and reported with file:line:col (as HAProxy does), so a user fixes a config in one go
// instead of one error per restart.
//
// Called on the control thread only (startup, `tidegate check`, reload): it reads files and
// allocates freely. Never throws: yaml-cpp's exceptions are caught inside.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/schema.h"

namespace tidegate::config {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem concerns the whole file (e.g. unreadable)
  int column = 0;  // 1-based; 0 with line 0
  std::string message;

  // "file:line:col: message", or "file: message" when there is no position.
  std::string toString() const;
};

struct LoadResult {
  std::optional<Config> config;    // set only when `errors` is empty
  std::vector<Diagnostic> errors;  // in file order (line, then column)
};

// Reads and validates the file at `path`; a missing or unreadable file is one diagnostic.
LoadResult loadConfigFile(const std::string& path);

// Validates `yaml` as if read from a file called `name` (used in diagnostics and as
// Config::source_path).
LoadResult loadConfigString(std::string_view yaml, std::string_view name);

}  // namespace tidegate::config
