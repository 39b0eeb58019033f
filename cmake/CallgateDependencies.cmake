# Every dependency comes from a Debian package (scripts/setup installs them).
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)          # before restinio, which needs it
find_package(restinio REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tl-expected REQUIRED)
find_package(date REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(CURL REQUIRED)
find_package(GTest REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)

# SOCI ships no CMake config in Debian.
find_path(SOCI_INCLUDE_DIR soci/soci.h REQUIRED)
find_library(SOCI_CORE_LIB soci_core REQUIRED)
find_library(SOCI_SQLITE3_LIB soci_sqlite3 REQUIRED)
find_library(SOCI_POSTGRESQL_LIB soci_postgresql REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(SQLite3 REQUIRED)
add_library(callgate_soci INTERFACE)
target_include_directories(callgate_soci SYSTEM INTERFACE ${SOCI_INCLUDE_DIR}
                           ${PostgreSQL_INCLUDE_DIRS})
target_link_libraries(callgate_soci INTERFACE ${SOCI_SQLITE3_LIB} ${SOCI_POSTGRESQL_LIB}
                      ${SOCI_CORE_LIB} PostgreSQL::PostgreSQL SQLite::SQLite3 ${CMAKE_DL_LIBS})
add_library(soci::soci ALIAS callgate_soci)

# libphonenumber ships no CMake config either.
find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h REQUIRED)
find_library(PHONENUMBER_LIB phonenumber REQUIRED)
add_library(callgate_phonenumber INTERFACE)
target_include_directories(callgate_phonenumber SYSTEM INTERFACE ${PHONENUMBER_INCLUDE_DIR})
target_link_libraries(callgate_phonenumber INTERFACE ${PHONENUMBER_LIB})
add_library(phonenumber::phonenumber ALIAS callgate_phonenumber)

find_path(HIREDIS_INCLUDE_DIR hiredis/hiredis.h REQUIRED)
find_library(HIREDIS_LIB hiredis REQUIRED)
add_library(callgate_hiredis INTERFACE)
target_include_directories(callgate_hiredis SYSTEM INTERFACE ${HIREDIS_INCLUDE_DIR})
target_link_libraries(callgate_hiredis INTERFACE ${HIREDIS_LIB})
add_library(hiredis::hiredis ALIAS callgate_hiredis)
