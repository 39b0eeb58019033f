# callgate_module(<name> SOURCES ... [DEPS ...])
#   A module is a folder under src/, a namespace callgate::<name> and a static library
#   callgate_<name> (alias callgate::<name>). Includes are rooted at src/.
function(callgate_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(callgate_${name} STATIC ${ARG_SOURCES})
  add_library(callgate::${name} ALIAS callgate_${name})
  target_include_directories(callgate_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(callgate_${name} PUBLIC ${ARG_DEPS})
endfunction()

# callgate_test(<name> SOURCES ... [DEPS ...] [LABELS ...])
#   A GoogleTest executable; every test case becomes a CTest test.
function(callgate_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}"
                       TIMEOUT 300)
endfunction()
