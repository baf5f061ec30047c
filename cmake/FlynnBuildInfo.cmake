# Compiler, flags and git revision reach every result's context through a generated header,
# because a figure without the build that produced it cannot be compared with anything.
find_package(Git QUIET)
set(FLYNN_GIT_REVISION "unknown")
if(GIT_FOUND)
  execute_process(
    COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
    OUTPUT_VARIABLE FLYNN_GIT_REVISION
    OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET)
  if(NOT FLYNN_GIT_REVISION)
    set(FLYNN_GIT_REVISION "unknown")
  endif()
endif()

string(TOUPPER "${CMAKE_BUILD_TYPE}" _flynn_build_type)
set(FLYNN_CXX_FLAGS "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${_flynn_build_type}}")
string(STRIP "${FLYNN_CXX_FLAGS}" FLYNN_CXX_FLAGS)
set(FLYNN_COMPILER "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")

configure_file(${CMAKE_CURRENT_LIST_DIR}/build_info.h.in
               ${CMAKE_BINARY_DIR}/generated/flynn/build_info.h @ONLY)
