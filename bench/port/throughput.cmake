# The port benchmarks run the client side (um headers, libfltlib) in a
# forked process: add the shared support sources.
target_sources(${target} PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/port/support/bench_host.c
  ${CMAKE_CURRENT_SOURCE_DIR}/port/support/bench_client.c)
set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/port/support/bench_client.c
  TARGET_DIRECTORY ${target}
  PROPERTIES INCLUDE_DIRECTORIES "${PROJECT_SOURCE_DIR}/include/um")
target_link_libraries(${target} PRIVATE fltlib_static)
