# Keeps a build tree small on disk. CI builds two trees (default, then ASan) on machines whose
# free space varies, and stop 31's CI ran out of it while linking the ASan tree; these two settings
# and the asan preset's -O1 (Sanitizers.cmake) take the trees from 3.3 and 9.1 GB to 1.0 and 2.3 GB
# (fresh clone, 2026-12-04).

# Linked binaries keep their debug sections zlib-compressed: with -g1 they were ~85% of every
# executable (mostly DWARF strings of Asio and Beast template names, which compress ~10:1). gdb,
# perf, addr2line and the sanitizers' symbolizer read them as they are; the .deb strips them.
# Cost measured with lld: +0.2-0.6 s per link, a 163 MB daemon becomes 36 MB.
include(CheckLinkerFlag)
check_linker_flag(CXX "-Wl,--compress-debug-sections=zlib" METRICSD_LINKER_COMPRESSES_DEBUG)
if(METRICSD_LINKER_COMPRESSES_DEBUG)
  add_link_options("-Wl,--compress-debug-sections=zlib")
endif()

# Static libraries are thin archives: they name their object files instead of holding a second
# copy of them. They are never installed, only linked into this tree's executables.
set(CMAKE_CXX_ARCHIVE_CREATE "<CMAKE_AR> qcT <TARGET> <LINK_FLAGS> <OBJECTS>")
set(CMAKE_CXX_ARCHIVE_APPEND "<CMAKE_AR> qT <TARGET> <LINK_FLAGS> <OBJECTS>")
