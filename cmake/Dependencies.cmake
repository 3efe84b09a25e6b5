# Every third-party dependency, found once. All come from Debian 12 packages; the package
# names are listed in .ci/install-deps.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)             # Asio and Beast are header-only
find_package(prometheus-cpp REQUIRED COMPONENTS core)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(ZLIB REQUIRED)                   # gzip for /metrics
find_package(absl REQUIRED)                   # flat_hash_map: the StatsD hot path's index (measured)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)   # sd_notify
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET GLOBAL re2)       # user regexes: linear time
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET GLOBAL sqlite3)  # history: WAL, crash-safe

# Debian's yaml-cpp 0.7 target has no namespace; give it one name used everywhere.
if(NOT TARGET yaml-cpp::yaml-cpp)
  add_library(yaml-cpp::yaml-cpp ALIAS yaml-cpp)
endif()
