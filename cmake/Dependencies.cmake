# All dependencies come from Debian bookworm packages (deploy/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(ZLIB REQUIRED)
# The store reads SQLite's own heap figure (sqlite3_memory_used) for /metrics.
find_package(SQLite3 REQUIRED)

# Debian's Poco DataPostgreSQL config names PostgreSQL::client, which nothing defines.
find_package(PostgreSQL REQUIRED)
if(NOT TARGET PostgreSQL::client)
  add_library(PostgreSQL::client INTERFACE IMPORTED)
  target_link_libraries(PostgreSQL::client INTERFACE PostgreSQL::PostgreSQL)
endif()
find_package(Poco 1.11 REQUIRED COMPONENTS Foundation Util XML Net NetSSL Crypto JWT Data
                                           DataSQLite DataPostgreSQL)

# PCRE 8 (libpcre3-dev, which libpoco-dev depends on): core/regex.h, with its JIT and limits.
find_path(PCRE_INCLUDE_DIR pcre.h REQUIRED)
find_library(PCRE_LIBRARY pcre REQUIRED)
add_library(PCRE::pcre UNKNOWN IMPORTED)
set_target_properties(PCRE::pcre PROPERTIES IMPORTED_LOCATION ${PCRE_LIBRARY}
                                            INTERFACE_INCLUDE_DIRECTORIES ${PCRE_INCLUDE_DIR})

find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(tb_rapidjson INTERFACE)
target_include_directories(tb_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
# No input may abort the process: RapidJSON's assertions throw instead (core/rapidjson_config.h,
# force-included so that no file can include RapidJSON without it).
target_compile_options(tb_rapidjson INTERFACE
  "SHELL:-include ${PROJECT_SOURCE_DIR}/adapter/core/rapidjson_config.h")

if(TB_TESTS)
  find_package(GTest REQUIRED)
endif()
if(TB_BENCH)
  find_package(benchmark QUIET)
endif()
