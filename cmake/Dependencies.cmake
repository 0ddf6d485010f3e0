# All dependencies come from Debian bookworm packages (deploy/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(ZLIB REQUIRED)

# Debian's Poco DataPostgreSQL config names PostgreSQL::client, which nothing defines.
find_package(PostgreSQL REQUIRED)
if(NOT TARGET PostgreSQL::client)
  add_library(PostgreSQL::client INTERFACE IMPORTED)
  target_link_libraries(PostgreSQL::client INTERFACE PostgreSQL::PostgreSQL)
endif()
find_package(Poco 1.11 REQUIRED COMPONENTS Foundation Util XML Net NetSSL Crypto JWT Data
                                           DataSQLite DataPostgreSQL)

find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(tb_rapidjson INTERFACE)
target_include_directories(tb_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
# No input may abort the process: RapidJSON's assertions throw instead (see core/json_reader.cc).
target_compile_definitions(tb_rapidjson INTERFACE
  "RAPIDJSON_ASSERT(x)=((x) ? (void)0 : ::trialbridge::core::rapidjsonAssertFailed(#x))"
  RAPIDJSON_HAS_STDSTRING=1)

if(TB_TESTS)
  find_package(GTest REQUIRED)
endif()
if(TB_BENCH)
  find_package(benchmark QUIET)
endif()
