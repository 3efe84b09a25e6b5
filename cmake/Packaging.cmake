# Install rules and the Debian package:
#   cmake --install build                        /usr/local (or --prefix): the binary, unit, snippets
#   cmake --build --preset default --target package   build/metricsd_<version>_<arch>.deb
# The package installs to /usr with the config in /etc/metricsd as a conffile; see
# packaging/ for its maintainer scripts, changelog and copyright.

set(METRICSD_CONFIG_DIR "/etc/metricsd" CACHE PATH "Where the config file is installed")

# metricsd(8), generated from `metricsd --help` after each link, so it cannot drift from the
# flags. Part of `all`, so the package target finds it built and rebuilds nothing.
find_program(METRICSD_GZIP gzip REQUIRED)
set(METRICSD_MAN_PAGE "${CMAKE_CURRENT_BINARY_DIR}/metricsd.8.gz")
add_custom_command(
  OUTPUT "${METRICSD_MAN_PAGE}"
  COMMAND "${CMAKE_COMMAND}" -DMETRICSD=$<TARGET_FILE:metricsd> -DVERSION=${PROJECT_VERSION}
          -DOUTPUT=${CMAKE_CURRENT_BINARY_DIR}/metricsd.8 -P "${METRICSD_ROOT}/cmake/ManPage.cmake"
  # -n: no name or timestamp in the gzip header (reproducible; lintian checks it).
  COMMAND "${METRICSD_GZIP}" -9nf "${CMAKE_CURRENT_BINARY_DIR}/metricsd.8"
  DEPENDS metricsd "${METRICSD_ROOT}/cmake/ManPage.cmake"
  COMMENT "Generating metricsd(8) from metricsd --help"
  VERBATIM)
add_custom_target(metricsd_man ALL DEPENDS "${METRICSD_MAN_PAGE}")

# The Debian changelog, gzipped the same way; its version must be the project's.
file(STRINGS "${METRICSD_ROOT}/packaging/changelog" changelog_head LIMIT_COUNT 1)
if(NOT changelog_head MATCHES "^metricsd \\(${PROJECT_VERSION}\\) ")
  message(FATAL_ERROR "packaging/changelog's first entry is not version ${PROJECT_VERSION}: "
                      "add an entry for it")
endif()
set(METRICSD_CHANGELOG "${CMAKE_CURRENT_BINARY_DIR}/changelog.gz")
add_custom_command(
  OUTPUT "${METRICSD_CHANGELOG}"
  COMMAND "${METRICSD_GZIP}" -9nc "${METRICSD_ROOT}/packaging/changelog" > "${METRICSD_CHANGELOG}"
  DEPENDS "${METRICSD_ROOT}/packaging/changelog"
  VERBATIM)
add_custom_target(metricsd_changelog ALL DEPENDS "${METRICSD_CHANGELOG}")

install(TARGETS metricsd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(FILES "${METRICSD_MAN_PAGE}" DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES README.md packaging/copyright "${METRICSD_CHANGELOG}"
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES systemd/sysusers.d/metricsd.conf DESTINATION lib/sysusers.d)
install(FILES systemd/tmpfiles.d/metricsd.conf DESTINATION lib/tmpfiles.d)
install(FILES systemd/sysctl.d/50-metricsd.conf DESTINATION lib/sysctl.d)

# Decided at install time, when the real prefix is known (`cmake --install --prefix`, CPack):
# - the unit's ExecStart names the installed binary;
# - the unit goes where systemd looks: /lib/systemd/system for /usr (Debian 12), else
#   <prefix>/lib/systemd/system (systemd searches /usr/local/lib/systemd/system too);
# - the config: never overwritten by `cmake --install`; CPack stages into an empty tree, so
#   the package always ships it (and dpkg keeps an edited conffile on upgrade).
install(CODE "
  set(prefix \"\${CMAKE_INSTALL_PREFIX}\")
  if(prefix STREQUAL \"/usr\")
    set(unit_dir \"/lib/systemd/system\")
  else()
    set(unit_dir \"\${prefix}/lib/systemd/system\")
  endif()
  file(READ \"${METRICSD_ROOT}/systemd/metricsd.service\" unit)
  string(REPLACE \"ExecStart=/usr/sbin/metricsd\"
                 \"ExecStart=\${prefix}/${CMAKE_INSTALL_SBINDIR}/metricsd\" unit \"\${unit}\")
  file(WRITE \"${CMAKE_CURRENT_BINARY_DIR}/install/metricsd.service\" \"\${unit}\")
  file(INSTALL \"${CMAKE_CURRENT_BINARY_DIR}/install/metricsd.service\"
       DESTINATION \"\${unit_dir}\"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

  set(dest \"${METRICSD_CONFIG_DIR}\")
  if(NOT EXISTS \"\$ENV{DESTDIR}\${dest}/metricsd.yaml\")
    file(INSTALL \"${METRICSD_ROOT}/config/metricsd.yaml\" DESTINATION \"\${dest}\"
         FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  else()
    message(STATUS \"Keeping existing \${dest}/metricsd.yaml\")
  endif()")

# The .deb. CPACK_SET_DESTDIR: /etc and /lib paths land in the package, not on this machine.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME metricsd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# The same person as packaging/changelog's entries (lintian compares them).
set(CPACK_PACKAGE_CONTACT "metricsd maintainers <maintainers@users.noreply.r-seed-342c5b41.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "metrics agent: host, process groups, probes and StatsD for Prometheus")
# The extended description (CPack puts the summary above it and indents it).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "metricsd serves node_exporter-compatible host metrics, process-exporter
process groups, HTTP/TCP probes and a StatsD receiver on one /metrics
endpoint, and evaluates Prometheus alerting rules. It runs as a systemd
service under its own user.")
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://localhost/metricsd")
file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/packaging/conffiles" "${METRICSD_CONFIG_DIR}/metricsd.yaml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_CURRENT_BINARY_DIR}/packaging/conffiles;${METRICSD_ROOT}/packaging/postinst;${METRICSD_ROOT}/packaging/prerm;${METRICSD_ROOT}/packaging/postrm")
include(CPack)

# The package taken apart (tests/integration/package_test.py); CI also installs it.
if(METRICSD_BUILD_TESTS)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  add_test(NAME integration_package
           COMMAND ${Python3_EXECUTABLE} ${METRICSD_ROOT}/tests/integration/package_test.py)
  set_tests_properties(integration_package PROPERTIES
    LABELS integration
    ENVIRONMENT "METRICSD_BIN=$<TARGET_FILE:metricsd>;METRICSD_SOURCE_DIR=${METRICSD_ROOT};CPACK=${CMAKE_CPACK_COMMAND};PACKAGE_CONFIG=${CMAKE_BINARY_DIR}/CPackConfig.cmake;${METRICSD_SANITIZER_ENV}"
    TIMEOUT 300)
  metricsd_test_cost(integration_package)
endif()
