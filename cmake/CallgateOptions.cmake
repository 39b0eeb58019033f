# Build options shared by every target.
option(CALLGATE_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(CALLGATE_TSAN "Build with ThreadSanitizer" OFF)
option(CALLGATE_WERROR "Treat warnings as errors" OFF)
option(CALLGATE_COVERAGE "Instrument for line coverage (gcov; make coverage)" OFF)
# Compile each module's sources as a few combined files (CMake unity build): the shared headers
# are parsed once per batch instead of once per file, which roughly halves a full build of the
# binary. On for the release preset (make run, make package); the dev build keeps one object per
# source, so every file must still compile on its own.
option(CALLGATE_UNITY_BUILD "Build the product modules as unity batches" OFF)
# The callgate binary allocates with jemalloc (Debian's libjemalloc): per-thread caches for the
# many short-lived strings and JSON nodes of a request, where glibc's allocator took 13 % of the
# CPU of a cached check-availability (docs/performance.md, sixth round). Off under the
# sanitizers, which bring their own allocator; a build without libjemalloc-dev falls back to
# glibc's allocator with a warning.
option(CALLGATE_JEMALLOC "Link the callgate binary with jemalloc" ON)

add_compile_options(-Wall -Wextra -Wpedantic)
if(CALLGATE_WERROR)
  add_compile_options(-Werror)
endif()
if(CALLGATE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(CALLGATE_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
if(CALLGATE_COVERAGE)
  add_compile_options(--coverage -fprofile-update=atomic)
  add_link_options(--coverage)
endif()
