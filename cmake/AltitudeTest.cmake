# altitude_add_test(<layer> <name> SOURCES ... [LIBS ...] [TIMEOUT s])
#
# Builds tests/<layer>/<name> as a cmocka executable and registers it with
# CTest as "<layer>.<name>", labelled <layer> so `ctest -L <layer>` runs a layer.
function(altitude_add_test layer name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  set(target test_${layer}_${name})
  add_executable(${target} ${T_SOURCES})
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests/${layer})
  target_link_libraries(${target} PRIVATE ${T_LIBS} PkgConfig::CMOCKA Threads::Threads)
  add_test(NAME ${layer}.${name} COMMAND ${target})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set_tests_properties(${layer}.${name} PROPERTIES LABELS ${layer} TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "ALTITUDE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
