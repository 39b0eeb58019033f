# callgate_module(<name> SOURCES ... [DEPS ...])
#   A module is a folder under src/, a namespace callgate::<name> and a static library
#   callgate_<name> (alias callgate::<name>). Includes are rooted at src/.
function(callgate_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(callgate_${name} STATIC ${ARG_SOURCES})
  add_library(callgate::${name} ALIAS callgate_${name})
  target_include_directories(callgate_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(callgate_${name} PUBLIC ${ARG_DEPS})
  if(CALLGATE_UNITY_BUILD)
    set_target_properties(callgate_${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 16)
    # A batch includes the sources, so GCC takes their classes for header classes and warns that
    # they use the source's anonymous namespace; in one file that is what it should do.
    target_compile_options(callgate_${name}
                           PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
  endif()
endfunction()

# callgate_test(<name> SOURCES ... [DEPS ...] [LABELS ...])
#   A GoogleTest executable; every test case becomes a CTest test.
function(callgate_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
  # Labels are set by a second include file that runs after the discovered tests are defined:
  # a list passed through gtest_discover_tests' PROPERTIES keeps only its first element.
  set(labels_file ${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake)
  file(WRITE ${labels_file}
       "foreach(test IN LISTS ${name}_TESTS)\n"
       "  set_tests_properties(\"\${test}\" PROPERTIES LABELS \"${ARG_LABELS}\")\n"
       "endforeach()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${labels_file})
endfunction()
