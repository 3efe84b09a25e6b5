# metricsd_warnings: an interface target every project target links, so one list of flags
# applies everywhere. System headers (-isystem, as imported targets use) are exempt by the
# compiler itself.
add_library(metricsd_warnings INTERFACE)
target_compile_options(metricsd_warnings INTERFACE
  -Wall -Wextra -Wnon-virtual-dtor -Woverloaded-virtual -Wvla
  $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
  $<$<BOOL:${METRICSD_WARNINGS_AS_ERRORS}>:-Werror>)

# Full RELRO (-z relro -z now, as Debian's dpkg-buildflags hardening gives packages): the GOT
# is read-only after start. Link-time only.
target_link_options(metricsd_warnings INTERFACE LINKER:-z,relro LINKER:-z,now)
