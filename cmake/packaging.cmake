# The Debian package (docs/packaging.md): install() rules for the binary, the starting config, the systemd unit,
# the man page, the docs and the examples, and CPack's DEB generator. `make package` runs `cpack -G DEB` in the
# build directory and writes gisgate_<version>_<arch>.deb there; `make package-test` checks it (tests/package/run).
#
# Paths: the binary, man page and docs go below CPACK_PACKAGING_INSTALL_PREFIX (/usr); the config and the unit are
# absolute (/etc/gisgate, /lib/systemd/system), as Debian puts them. A plain `cmake --install` therefore writes
# to /etc and /lib too: use `make package` and dpkg.

set(GISGATE_PACKAGING_DIR ${CMAKE_SOURCE_DIR}/packaging)

install(TARGETS gisgate RUNTIME DESTINATION bin)
install(FILES ${GISGATE_PACKAGING_DIR}/gisgate.yaml DESTINATION /etc/gisgate)
install(FILES ${GISGATE_PACKAGING_DIR}/gisgate.service DESTINATION /lib/systemd/system)

# Debian ships man pages gzip-compressed (-n: no name or time stamp, so the package is reproducible). Done at
# configure time, so that `cpack` needs nothing built besides the binary.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${GISGATE_PACKAGING_DIR}/gisgate.1)
file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/packaging)
execute_process(COMMAND gzip -9 -n -c ${GISGATE_PACKAGING_DIR}/gisgate.1
                OUTPUT_FILE ${CMAKE_BINARY_DIR}/packaging/gisgate.1.gz RESULT_VARIABLE gisgate_man_gzip)
if(NOT gisgate_man_gzip EQUAL 0)
  message(FATAL_ERROR "gzip of packaging/gisgate.1 failed: ${gisgate_man_gzip}")
endif()
install(FILES ${CMAKE_BINARY_DIR}/packaging/gisgate.1.gz DESTINATION share/man/man1)

# The README and docs/ keep their relative links: /usr/share/doc/gisgate/{README.md,docs/,examples/}.
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION share/doc/gisgate)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION share/doc/gisgate/docs FILES_MATCHING PATTERN "*.md")
install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples/ DESTINATION share/doc/gisgate/examples)

# `cpack` packages what is built; it does not build the whole tree (tests, benchmarks) first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gisgate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "load balancer and reverse proxy for GIS server sites")
if(NOT CPACK_PACKAGE_CONTACT)
  set(CPACK_PACKAGE_CONTACT "gisgate maintainers <maintainers@gisgate.invalid>")
endif()

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # gisgate_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The long description; CPack puts the summary above it and indents it as the control file wants.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "gisgate balances HTTP, HTTPS, HTTP/2 and WebSocket traffic over the machines of
ArcGIS Server and Portal for ArcGIS sites, and TCP at layer 4: health checks that tell a dead server
from a slow one, geoprocessing job affinity, routing by GIS service, a tile cache, administrative
paths blocked in every spelling, hot reload, a runtime admin API and per-service statistics.

The package runs it under systemd as the system user gisgate, with /etc/gisgate/gisgate.yaml.")
# Library dependencies come from dpkg-shlibdeps (package dpkg-dev); the maintainer scripts need adduser.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${GISGATE_PACKAGING_DIR}/conffiles ${GISGATE_PACKAGING_DIR}/postinst ${GISGATE_PACKAGING_DIR}/prerm
  ${GISGATE_PACKAGING_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

include(CPack)
