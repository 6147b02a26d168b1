# Test registration: every tests/unit/test_*.c is a cmocka program; every
# tests/integration/test_*.sh runs real daemons in a temporary home.
file(GLOB UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
foreach(test_src ${UNIT_TESTS})
  get_filename_component(test_name ${test_src} NAME_WE)
  add_executable(${test_name} ${test_src})
  target_link_libraries(${test_name} PRIVATE jmakecore PkgConfig::CMOCKA)
  add_test(NAME unit.${test_name} COMMAND ${test_name})
  set_tests_properties(unit.${test_name} PROPERTIES LABELS unit TIMEOUT 120
                       ENVIRONMENT "JMAKE_SOURCE_DIR=${CMAKE_SOURCE_DIR};JMAKE_BINARY_DIR=${CMAKE_BINARY_DIR}")
endforeach()

# The toml-test suite lives in the shared folder beside the repository.
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/conformance/toml_test_runner.c AND TARGET toml-decoder)
add_executable(toml-test-runner tests/conformance/toml_test_runner.c)
target_link_libraries(toml-test-runner PRIVATE jmakecore)
add_test(NAME conformance.toml-test
         COMMAND toml-test-runner $<TARGET_FILE:toml-decoder> ${CMAKE_SOURCE_DIR}/../shared/toml-test)
set_tests_properties(conformance.toml-test PROPERTIES LABELS conformance TIMEOUT 300)
endif()

file(GLOB INTEGRATION_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/integration/test_*.sh)
foreach(test_script ${INTEGRATION_TESTS})
  get_filename_component(test_name ${test_script} NAME_WE)
  add_test(NAME integration.${test_name} COMMAND bash ${test_script})
  set_tests_properties(integration.${test_name} PROPERTIES LABELS integration TIMEOUT 600
                       ENVIRONMENT "JMAKE=$<TARGET_FILE:jmake>;JMAKE_SOURCE_DIR=${CMAKE_SOURCE_DIR};JMAKE_BINARY_DIR=${CMAKE_BINARY_DIR}")
endforeach()

# Memory checking: the pure-logic unit tests also run under valgrind (leaks and
# invalid accesses are errors), when valgrind is installed and this is not the
# sanitizer build (the two do not mix).
find_program(VALGRIND valgrind)
if(VALGRIND AND NOT JMAKE_SANITIZE)
  # test_jobstore is left to the ASan build: its 100,000-row case takes minutes under valgrind.
  foreach(test_name test_toml test_config test_project test_jobfile test_depfile test_objcache test_log test_discovery test_walk)
    if(TARGET ${test_name})
      add_test(NAME valgrind.${test_name}
               COMMAND ${VALGRIND} --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
                       --quiet $<TARGET_FILE:${test_name}>)
      set_tests_properties(valgrind.${test_name} PROPERTIES LABELS valgrind TIMEOUT 600
                           ENVIRONMENT "JMAKE_SOURCE_DIR=${CMAKE_SOURCE_DIR};JMAKE_BINARY_DIR=${CMAKE_BINARY_DIR};JMAKE_UNDER_VALGRIND=1")
    endif()
  endforeach()
endif()
