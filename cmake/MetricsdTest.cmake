# Seconds the long tests take (Testing/Temporary/CTestCostData.txt of a default and of an asan
# build, 2 cores, ctest -j2), as ctest's COST: `ctest -j` starts the costliest tests first, but it
# learns the costs only from a previous run, so on a fresh tree (every CI run) it would start
# them in the order they were added, and a long test added late would end the run alone. Tests
# not listed (under ~8 s in both builds) keep cost 0 and fill the gaps. Refresh the numbers from
# the cost files now and then; the order is what matters, not the exact seconds.
set(METRICSD_TEST_COSTS
  # name:default:sanitizer build (measured in CI's .ci/run of 2026-12-03, unity builds)
  integration_history_crash:132:54  e2e_grafana_dashboards:96:98  e2e_dashboard:95:101
  e2e_promql_diff:83:115  e2e_analytics_remote:70:78  e2e_alerting_diff:41:41
  e2e_remote_write:28:31  integration_history_faults:25:33  schema_property:22:66
  integration_alerting:21:25  integration_statsd_burst:20:24  schema_lsp:20:20
  integration_probes:19:28  integration_web_hardening:18:55  integration_loadgen:18:25
  e2e_prometheus_https:16:18  integration_scaling:15:17  integration_statsd_hostile:15:24
  integration_analytics:13:41  promql_cases_promtool:12:12  e2e_alertmanager:9:9
  integration_alert_restore:9:11  e2e_prometheus:7:8  e2e_history_vm:6:26
  integration_package:6:37  integration_daemon:1:25  metricsd_storage_test:1:44
  metricsd_analytics_impact_test:2:56  metricsd_analytics_trend_test:1:29
  metricsd_analytics_baseline_test:1:17  metricsd_analytics_remote_test:1:14
  integration_statsd:2:20  integration_web_tls_auth:5:12  integration_probes_redirect:5:12
  integration_secrets:2:11  metricsd_statsd_test:1:9  e2e_statsd_relay:3:8)

# metricsd_test_cost(<name>): the test's COST from METRICSD_TEST_COSTS, if listed there. Call it in
# the directory that added the test (the metricsd_add_* functions below do).
function(metricsd_test_cost name)
  foreach(entry IN LISTS METRICSD_TEST_COSTS)
    string(REPLACE ":" ";" fields "${entry}")
    list(GET fields 0 listed)
    if(listed STREQUAL name)
      if(METRICSD_SANITIZE)
        list(GET fields 2 cost)
      else()
        list(GET fields 1 cost)
      endif()
      set_tests_properties(${name} PROPERTIES COST ${cost})
      return()
    endif()
  endforeach()
endfunction()

# metricsd_add_test(<name> SOURCES ... LIBRARIES ...)
# One GoogleTest executable, registered with ctest, run with the sanitizer environment.
function(metricsd_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES} GTest::gmock_main metricsd_warnings)
  target_compile_definitions(${name} PRIVATE METRICSD_SOURCE_DIR="${METRICSD_ROOT}")
  # The fuzz build instruments all code for coverage; a test's own sources need none of it
  # (measured: their compile time, and their run time under ASan, drop).
  if(METRICSD_BUILD_FUZZERS)
    target_compile_options(${name} PRIVATE -fno-sanitize=fuzzer-no-link)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  # PROCESSORS 2: a GoogleTest executable keeps a core busy (under ASan for up to a minute), while
  # the Python tests mostly wait on sockets and timers (measured: 4-25% of a core in the default
  # build). The test presets run 4 tests at once on CI's 2 cores; counting these as two keeps at
  # most two CPU-bound tests running together, so the timing checks of the others hold.
  set_tests_properties(${name} PROPERTIES LABELS unit ENVIRONMENT "${METRICSD_SANITIZER_ENV}"
                       PROCESSORS 2)
  metricsd_test_cost(${name})
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
  metricsd_test_cost(${name})
endfunction()
