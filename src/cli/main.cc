// tidegate: the gateway's command line. See `tidegate` (no arguments) for the commands.

#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/policy_command.h"

int main(int argc, char** argv) {
  using namespace tidegate::cli;
  if (argc < 2) {
    printUsage();
    return 2;
  }
  std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "run") return runCommand(args);
  if (command == "check") return checkCommand(args);
  if (command == "policy") return policyCommand(args);
  if (command == "version" || command == "--version") return versionCommand();
  printUsage();
  return 2;
}
