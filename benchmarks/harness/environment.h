// Environment variables that a runtime library reads while it loads (libgomp reads OMP_PLACES and
// OMP_PROC_BIND before main runs), so they can only take effect by starting the binary again.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace flynn {

// Called by main before anything parses argv.
void remember_command_line(int argc, char** argv);

// Sets each variable that is unset (a user's own setting wins) and, when it set any, executes
// this binary again with the original arguments. Returns only when nothing had to change.
void ensure_environment(const std::vector<std::pair<std::string, std::string>>& defaults);

}  // namespace flynn
