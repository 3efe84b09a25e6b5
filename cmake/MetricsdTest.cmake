# metricsd_add_test(<name> SOURCES ... LIBRARIES ...)
# One GoogleTest executable, registered with ctest, run with the sanitizer environment.
function(metricsd_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES} GTest::gmock_main metricsd_warnings)
  target_compile_definitions(${name} PRIVATE METRICSD_SOURCE_DIR="${METRICSD_ROOT}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit ENVIRONMENT "${METRICSD_SANITIZER_ENV}")
endfunction()

# metricsd_add_script_test(<name> <script> [args...])
# A Python test that drives the built daemon over real sockets.
function(metricsd_add_script_test name label script)
  add_test(NAME ${name}
           COMMAND ${Python3_EXECUTABLE} ${script} ${ARGN})
  set_tests_properties(${name} PROPERTIES
    LABELS ${label}
    ENVIRONMENT "METRICSD_BIN=$<TARGET_FILE:metricsd>;METRICSD_SOURCE_DIR=${METRICSD_ROOT};FAKE_AO_SERVER=$<TARGET_FILE:fake_ao_server>;${METRICSD_SANITIZER_ENV}"
    TIMEOUT 300)
endfunction()
