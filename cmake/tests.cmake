# Test registration: every tests/unit/test_*.c is a cmocka program; every
# tests/integration/test_*.sh runs real daemons in a temporary home.
option(JMAKE_CI "CI: a missing optional test input (the toml-test suite, valgrind) is an error, not a skip" OFF)
file(GLOB UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
foreach(test_src ${UNIT_TESTS})
  get_filename_component(test_name ${test_src} NAME_WE)
  add_executable(${test_name} ${test_src})
  target_link_libraries(${test_name} PRIVATE jmakecore PkgConfig::CMOCKA)
  add_test(NAME unit.${test_name} COMMAND ${test_name})
  set_tests_properties(unit.${test_name} PROPERTIES LABELS unit TIMEOUT 120
                       ENVIRONMENT "JMAKE_SOURCE_DIR=${CMAKE_SOURCE_DIR};JMAKE_BINARY_DIR=${CMAKE_BINARY_DIR}")
endforeach()

# The toml-test suite is not part of the repository: by default it is looked
# for in the shared folder beside it. Without it the test is reported as
# skipped (a fresh clone still passes), unless JMAKE_CI asks for every test.
set(JMAKE_TOML_TEST_DIR "${CMAKE_SOURCE_DIR}/../shared/toml-test" CACHE PATH
    "The toml-test suite (its valid/ and invalid/ folders) for conformance.toml-test")
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/conformance/toml_test_runner.c AND TARGET toml-decoder)
  add_executable(toml-test-runner tests/conformance/toml_test_runner.c)
  target_link_libraries(toml-test-runner PRIVATE jmakecore)
  get_filename_component(toml_test_dir "${JMAKE_TOML_TEST_DIR}" ABSOLUTE)
  set(toml_test_missing "conformance.toml-test skipped: no toml-test suite at ${toml_test_dir}. Get it with 'git clone https://github.com/toml-lang/toml-test' there (or beside the repository as shared/toml-test), or configure with -DJMAKE_TOML_TEST_DIR=/path/to/toml-test")
  set(toml_test_missing_code 77)   # CTest's skip (SKIP_RETURN_CODE below)
  if(NOT IS_DIRECTORY "${toml_test_dir}")
    if(JMAKE_CI)
      message(FATAL_ERROR "JMAKE_CI: no toml-test suite at ${toml_test_dir} (set JMAKE_TOML_TEST_DIR)")
    endif()
    message(NOTICE "${toml_test_missing}")
  endif()
  if(JMAKE_CI)
    set(toml_test_missing_code 1)
  endif()
  # The folder is looked for again when the test runs, so a suite put in
  # place after configuring is used without reconfiguring.
  add_test(NAME conformance.toml-test
           COMMAND sh -c "if [ -d \"$1\" ]; then exec \"$2\" \"$3\" \"$1\"; fi; echo \"$4\"; exit $5" sh
                   ${toml_test_dir} $<TARGET_FILE:toml-test-runner> $<TARGET_FILE:toml-decoder>
                   "${toml_test_missing}" ${toml_test_missing_code})
  set_tests_properties(conformance.toml-test PROPERTIES LABELS conformance TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()

file(GLOB INTEGRATION_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/integration/test_*.sh)
foreach(test_script ${INTEGRATION_TESTS})
  get_filename_component(test_name ${test_script} NAME_WE)
  add_test(NAME integration.${test_name} COMMAND bash ${test_script})
  set_tests_properties(integration.${test_name} PROPERTIES LABELS integration TIMEOUT 600
                       ENVIRONMENT "JMAKE=$<TARGET_FILE:jmake>;JMAKE_SOURCE_DIR=${CMAKE_SOURCE_DIR};JMAKE_BINARY_DIR=${CMAKE_BINARY_DIR}")
endforeach()

# Reliability: hostile input, crashes under load, load itself. They measure the
# daemons' memory and time, which the sanitizers change beyond meaning, and run
# long: once per CI run, in the normal build only (not again under the sanitizers).
if(NOT JMAKE_SANITIZE)
  file(GLOB RELIABILITY_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/reliability/test_*.sh)
  foreach(test_script ${RELIABILITY_TESTS})
    get_filename_component(test_name ${test_script} NAME_WE)
    add_test(NAME reliability.${test_name} COMMAND bash ${test_script})
    set_tests_properties(reliability.${test_name} PROPERTIES LABELS reliability TIMEOUT 900
                         ENVIRONMENT "JMAKE=$<TARGET_FILE:jmake>;JMAKE_SOURCE_DIR=${CMAKE_SOURCE_DIR};JMAKE_BINARY_DIR=${CMAKE_BINARY_DIR}")
  endforeach()
endif()

# Memory checking: the pure-logic unit tests also run under valgrind (leaks and
# invalid accesses are errors), when valgrind is installed and this is not the
# sanitizer build (the two do not mix). JMAKE_CI makes a missing valgrind an
# error rather than a silent loss of these tests.
find_program(VALGRIND valgrind)
if(JMAKE_CI AND NOT VALGRIND AND NOT JMAKE_SANITIZE)
  message(FATAL_ERROR "JMAKE_CI: valgrind not found, the valgrind.* tests would not run (scripts/install-deps.sh installs it)")
endif()
if(VALGRIND AND NOT JMAKE_SANITIZE)
  # test_jobstore is left to the ASan build: its 100,000-row case takes minutes under valgrind.
  foreach(test_name test_toml test_config test_project test_jobfile test_depfile test_objcache test_log test_discovery test_walk test_suggest test_buildtrace)
    if(TARGET ${test_name})
      add_test(NAME valgrind.${test_name}
               COMMAND ${VALGRIND} --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
                       --quiet $<TARGET_FILE:${test_name}>)
      set_tests_properties(valgrind.${test_name} PROPERTIES LABELS valgrind TIMEOUT 600
                           ENVIRONMENT "JMAKE_SOURCE_DIR=${CMAKE_SOURCE_DIR};JMAKE_BINARY_DIR=${CMAKE_BINARY_DIR};JMAKE_UNDER_VALGRIND=1")
    endif()
  endforeach()
endif()
