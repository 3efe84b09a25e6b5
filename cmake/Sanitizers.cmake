# METRICSD_SANITIZE selects one sanitizer build for the whole tree:
#   asan  AddressSanitizer + UndefinedBehaviorSanitizer, halting on the first report
#   tsan  ThreadSanitizer
# Flags go on every target (compile and link), so the daemon binary the integration tests
# spawn is instrumented too.
if(METRICSD_SANITIZE STREQUAL "asan")
  # The asan preset compiles at -O1, as ASan's authors advise (CMakePresets.json has no comments,
  # so the reason is here). Measured on 2 cores against -O0, before DiskFootprint.cmake: the tree
  # is 3.8 GB instead of 9.1 and the suite runs in 481 s instead of 704; the build takes ~5
  # minutes longer (915 s).
  # No vptr check: to validate a vptr UBSan opens a pipe (IsAccessibleMemoryRange), so in a
  # process out of file descriptors, which the accept() back-off test makes on purpose, it
  # reports every cache miss as "invalid vptr" and halts. Every other UBSan check stays.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize=vptr)
  set(METRICSD_SANITIZER_ENV
    "ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:strict_string_checks=1"
    "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")
elseif(METRICSD_SANITIZE STREQUAL "tsan")
  # GCC warns that TSan does not model std::atomic_thread_fence, which Asio uses internally;
  # the warning is about Boost's code, not ours, so it must not fail the -Werror build.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer $<$<CXX_COMPILER_ID:GNU>:-Wno-tsan>)
  add_link_options(-fsanitize=thread)
  set(METRICSD_SANITIZER_ENV "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1")
elseif(NOT METRICSD_SANITIZE STREQUAL "")
  message(FATAL_ERROR "METRICSD_SANITIZE must be empty, asan or tsan (got '${METRICSD_SANITIZE}')")
endif()

if(METRICSD_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "METRICSD_BUILD_FUZZERS needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Instrument all code for coverage feedback; each fuzz target links libFuzzer's main itself.
  # With METRICSD_SANITIZE=asan (the one sanitizer build CI makes) its flags above stand, and
  # adding `undefined` again here would turn the vptr check back on.
  if(METRICSD_SANITIZE STREQUAL "asan")
    add_compile_options(-fsanitize=fuzzer-no-link)
  else()
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
  endif()
endif()
