#include "harness/environment.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace flynn {
namespace {

std::vector<std::string>& command_line() {
  static std::vector<std::string> arguments;
  return arguments;
}

}  // namespace

void remember_command_line(int argc, char** argv) { command_line().assign(argv, argv + argc); }

void ensure_environment(const std::vector<std::pair<std::string, std::string>>& defaults) {
  bool changed = false;
  for (const auto& [name, value] : defaults) {
    if (std::getenv(name.c_str()) == nullptr) {
      setenv(name.c_str(), value.c_str(), 1);
      changed = true;
    }
  }
  if (!changed) return;
  std::vector<char*> argv;
  for (std::string& argument : command_line()) argv.push_back(argument.data());
  argv.push_back(nullptr);
  execv("/proc/self/exe", argv.data());
  throw std::system_error(errno, std::generic_category(), "re-executing with the OpenMP environment");
}

}  // namespace flynn
