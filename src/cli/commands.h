#pragma once
// The `tidegate` subcommands. Each returns the process exit code.

#include <string>
#include <vector>

namespace tidegate::cli {

int runCommand(const std::vector<std::string>& args);
int checkCommand(const std::vector<std::string>& args);
int versionCommand();
void printUsage();

}  // namespace tidegate::cli
