# Included from tests/CMakeLists.txt.
#
# 1. Replay tests (always): each fuzz target's entry point, built with the normal compiler and a small main,
#    runs over its seed corpus and kept crashers (tests/fuzz/corpus/<target>/) as a regression test.
# 2. Smoke fuzzing (when clang++ can link libFuzzer): the targets are built with clang in <build>/fuzz as an
#    external project, and each runs for GISGATE_FUZZ_SMOKE_SECONDS as a ctest test (label `fuzz`), one at a
#    time (RESOURCE_LOCK) so that they take one core.
set(GISGATE_FUZZ_TARGETS request_head response_head chunked path config proxy_protocol h2_frames)
set(GISGATE_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)

# The replay driver's main(), compiled once for all the replay executables.
add_library(gisgate_fuzz_replay_main OBJECT ${GISGATE_FUZZ_DIR}/replay_main.cpp)
foreach(target ${GISGATE_FUZZ_TARGETS})
  add_executable(fuzz_replay_${target} ${GISGATE_FUZZ_DIR}/${target}.cpp $<TARGET_OBJECTS:gisgate_fuzz_replay_main>)
  target_include_directories(fuzz_replay_${target} PRIVATE ${CMAKE_SOURCE_DIR}/src ${GISGATE_FUZZ_DIR})
  if(target STREQUAL "config")
    target_link_libraries(fuzz_replay_${target} PRIVATE gisgate_config)
  elseif(target STREQUAL "proxy_protocol" OR target STREQUAL "h2_frames")
    target_link_libraries(fuzz_replay_${target} PRIVATE gisgate_core)  # src/net/proxy_protocol.cpp, src/h2/
  else()
    target_link_libraries(fuzz_replay_${target} PRIVATE gisgate_http)
  endif()
  add_test(NAME fuzz_replay_${target} COMMAND fuzz_replay_${target} ${GISGATE_FUZZ_DIR}/corpus/${target})
  set_tests_properties(fuzz_replay_${target} PROPERTIES LABELS fuzz TIMEOUT 120)
endforeach()

option(GISGATE_FUZZ "Build the libFuzzer targets with clang when available and smoke-run them in ctest" ON)
set(GISGATE_FUZZ_SMOKE_SECONDS 10 CACHE STRING "seconds each fuzz target runs in ctest")
if(GISGATE_FUZZ)
  find_program(GISGATE_CLANGXX NAMES clang++ clang++-16 clang++-15 clang++-14)
  set(fuzz_ok FALSE)
  if(GISGATE_CLANGXX)
    file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe.cpp
         "#include <cstddef>\n#include <cstdint>\nextern \"C\" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }\n")
    execute_process(COMMAND ${GISGATE_CLANGXX} -fsanitize=fuzzer,address,undefined
                            ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe.cpp -o ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe
                    RESULT_VARIABLE probe_rc OUTPUT_QUIET ERROR_QUIET)
    if(probe_rc EQUAL 0)
      set(fuzz_ok TRUE)
    endif()
  endif()
  if(fuzz_ok)
    message(STATUS "fuzz: ${GISGATE_CLANGXX} links libFuzzer; smoke fuzzing is part of ctest")
    include(ExternalProject)
    set(fuzz_args -DCMAKE_CXX_COMPILER=${GISGATE_CLANGXX} -DCMAKE_BUILD_TYPE=RelWithDebInfo)
    if(CMAKE_CXX_COMPILER_LAUNCHER)
      list(APPEND fuzz_args -DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER})
    endif()
    ExternalProject_Add(gisgate_fuzz
      SOURCE_DIR ${GISGATE_FUZZ_DIR}
      BINARY_DIR ${CMAKE_BINARY_DIR}/fuzz
      CMAKE_ARGS ${fuzz_args}
      BUILD_ALWAYS ON
      INSTALL_COMMAND "")
    foreach(target ${GISGATE_FUZZ_TARGETS})
      add_test(NAME fuzz_smoke_${target}
               COMMAND ${GISGATE_FUZZ_DIR}/run ${CMAKE_BINARY_DIR}/fuzz ${target} ${GISGATE_FUZZ_SMOKE_SECONDS})
      # COST: started first. They run one at a time (the lock) for GISGATE_FUZZ_SMOKE_SECONDS each, so numbered last (as a fresh clone
      # without ctest's cost data orders them) they were the suite's single-core tail of about two minutes.
      set_tests_properties(fuzz_smoke_${target} PROPERTIES LABELS fuzz RESOURCE_LOCK fuzz TIMEOUT 300 COST 1000)
    endforeach()
  else()
    message(STATUS "fuzz: clang++ with libFuzzer not found; only the corpus replay tests run "
                   "(scripts/install-deps --fuzz installs clang)")
  endif()
endif()
