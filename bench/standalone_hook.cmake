# standalone_hook.cmake - lets run_queue_bench.sh build the benches before the top-level CMakeLists has JMAKE_BENCH.
# Passed as -DCMAKE_PROJECT_jmake_INCLUDE=...: it runs right after project(),
# before the libraries exist, so bench/CMakeLists.txt is read at the end of
# the top-level file instead (deferred calls may include, not add_subdirectory).
# A deferred call expands its arguments when it runs, where
# CMAKE_CURRENT_LIST_DIR is the top level: keep the path in a variable of our own.
set(JMAKE_BENCH_LIST ${CMAKE_CURRENT_LIST_DIR}/CMakeLists.txt)
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL include ${JMAKE_BENCH_LIST})
