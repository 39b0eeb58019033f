# The Debian package (make package; docs/deploy.md): install rules for the callgate binary, the
# systemd units, the configuration and the documentation, and CPack DEB settings. Packaging
# files live in deploy/. `cpack` packs the callgate binary that is already built: the install
# step does not depend on `all` (CMAKE_SKIP_INSTALL_ALL_DEPENDENCY), so packaging never builds
# the tests.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)
set(deploy_dir ${PROJECT_SOURCE_DIR}/deploy)
set(package_dir ${CMAKE_BINARY_DIR}/deploy)

install(TARGETS callgate RUNTIME DESTINATION bin)
install(FILES ${deploy_dir}/systemd/callgate.service ${deploy_dir}/systemd/callgate-worker.service
        DESTINATION /lib/systemd/system)

# /etc/callgate/callgate.env: .env.example with the package's paths, so the two never drift.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/.env.example
             ${deploy_dir}/debian/changelog)
file(READ ${PROJECT_SOURCE_DIR}/.env.example env_text)
string(REPLACE "# callgate configuration. Copy to .env and adjust; real environment variables win over this file."
       "# callgate configuration of the Debian package, read by callgate.service and\n# callgate-worker.service (EnvironmentFile). Holds secrets: root:callgate, 0640. After a change:\n# `sudo -u callgate env $(grep -v '^#' /etc/callgate/callgate.env | xargs) callgate doctor`, then\n# `systemctl restart callgate`."
       env_text "${env_text}")
string(REPLACE "CALLGATE_DATABASE_URL=sqlite://data/callgate.db"
       "CALLGATE_DATABASE_URL=sqlite:///var/lib/callgate/callgate.db" env_text "${env_text}")
file(WRITE ${package_dir}/callgate.env "${env_text}")
install(FILES ${package_dir}/callgate.env DESTINATION /etc/callgate
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)

# Documentation, as Debian wants it: copyright, a compressed changelog (changelog.gz: a native
# package, built from this tree), the man page.
string(TIMESTAMP CALLGATE_PACKAGE_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(CALLGATE_PACKAGE_VERSION ${PROJECT_VERSION})
set(CALLGATE_PACKAGE_CONTACT "ops@callgate.example")
configure_file(${deploy_dir}/debian/changelog ${package_dir}/changelog @ONLY)
find_program(CALLGATE_GZIP gzip REQUIRED)
foreach(doc changelog callgate.1)
  if(doc STREQUAL "callgate.1")
    set(doc_source ${deploy_dir}/debian/callgate.1)
  else()
    set(doc_source ${package_dir}/${doc})
  endif()
  execute_process(COMMAND ${CALLGATE_GZIP} -9nc ${doc_source}
                  OUTPUT_FILE ${package_dir}/${doc}.gz COMMAND_ERROR_IS_FATAL ANY)
endforeach()
install(FILES ${deploy_dir}/debian/copyright ${package_dir}/changelog.gz
              ${PROJECT_SOURCE_DIR}/docs/deploy.md
        DESTINATION share/doc/callgate)
install(FILES ${package_dir}/callgate.1.gz DESTINATION share/man/man1)
install(FILES ${deploy_dir}/debian/lintian-overrides DESTINATION share/lintian/overrides
        RENAME callgate)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME callgate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "callgate maintainers <${CALLGATE_PACKAGE_CONTACT}>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "backend of an AI phone receptionist (Retell AI + Cal.com)")
# The extended description (CPack puts the summary above it as the synopsis).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "callgate answers the signed HTTP functions and webhooks of a Retell AI\n"
    "voice agent and books, moves and cancels appointments in each business's\n"
    "Cal.com calendar. One installation serves many companies. The package\n"
    "runs it as the hardened systemd services callgate (HTTP) and\n"
    "callgate-worker (jobs), configured in /etc/callgate/callgate.env.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # callgate_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx, postgresql, pgbouncer, redis-server")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${deploy_dir}/debian/conffiles ${deploy_dir}/debian/postinst ${deploy_dir}/debian/prerm
    ${deploy_dir}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_SOURCE_IGNORE_FILES "/build/;/\\\\.git/;/node_modules/")
include(CPack)
