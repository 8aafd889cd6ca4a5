# tidegate_module(NAME DEPS...) builds src/NAME/*.cc into the static library tidegate_NAME,
# linked only to the modules (and packages) named after it: the arrows of the layer diagram.
function(tidegate_module name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc
       ${CMAKE_CURRENT_SOURCE_DIR}/*/*.cc)
  if(sources)
    add_library(tidegate_${name} STATIC ${sources})
    target_include_directories(tidegate_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(tidegate_${name} PUBLIC ${ARGN})
  else()
    add_library(tidegate_${name} INTERFACE)
    target_include_directories(tidegate_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(tidegate_${name} INTERFACE ${ARGN})
  endif()
endfunction()

# tidegate_unit_tests(NAME DEPS...) builds tests/NAME/*_test.cc into one gtest binary
# registered with ctest, one ctest entry per test case.
function(tidegate_unit_tests name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  if(NOT sources)
    return()
  endif()
  add_executable(${name}_test ${sources})
  target_link_libraries(${name}_test PRIVATE ${ARGN} GTest::gtest_main GTest::gmock)
  target_include_directories(${name}_test PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  gtest_discover_tests(${name}_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit TIMEOUT 120)
endfunction()
