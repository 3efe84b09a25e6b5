# metricsd_warnings: an interface target every project target links, so one list of flags
# applies everywhere. System headers (-isystem, as imported targets use) are exempt by the
# compiler itself.
add_library(metricsd_warnings INTERFACE)
target_compile_options(metricsd_warnings INTERFACE
  -Wall -Wextra -Wnon-virtual-dtor -Woverloaded-virtual -Wvla
  $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
  $<$<BOOL:${METRICSD_WARNINGS_AS_ERRORS}>:-Werror>)

# A unity build (CMAKE_UNITY_BUILD, on in the presets) compiles a target's sources as #includes
# of one file, so GCC sees each source's anonymous-namespace types "in a header" and warns that
# a class of that source uses them (-Wsubobject-linkage): true of a header, not of a source.
if(CMAKE_UNITY_BUILD)
  target_compile_options(metricsd_warnings INTERFACE $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
endif()

# Full RELRO (-z relro -z now, as Debian's dpkg-buildflags hardening gives packages): the GOT
# is read-only after start. Link-time only.
target_link_options(metricsd_warnings INTERFACE LINKER:-z,relro LINKER:-z,now)

# Clang's thread-safety analysis: proves that members marked ABSL_GUARDED_BY(mutex_) are touched
# only with that mutex held (daemon/core/mutex.h). Clang only (GCC ignores the attributes); on by
# default there, and always an error, since a warning nobody reads checks nothing. CI's clang
# build (the fuzz preset in .ci/run) compiles every library with it.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set(_metricsd_thread_safety_default ON)
else()
  set(_metricsd_thread_safety_default OFF)
endif()
option(METRICSD_THREAD_SAFETY_ANALYSIS "clang -Wthread-safety as an error"
       ${_metricsd_thread_safety_default})
if(METRICSD_THREAD_SAFETY_ANALYSIS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "METRICSD_THREAD_SAFETY_ANALYSIS needs clang")
  endif()
  target_compile_options(metricsd_warnings INTERFACE -Wthread-safety -Werror=thread-safety)
endif()
