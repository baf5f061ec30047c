# Warnings as a usage requirement, so third-party headers pulled in as SYSTEM stay quiet.
add_library(flynn_warnings INTERFACE)
target_compile_options(flynn_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Werror=return-type)
