#!/bin/sh
# Regenerates tests/mapping/golden/*.json from the current mapping, on purpose: run it after a
# deliberate change of the mapping, then review `git diff tests/mapping/golden/`.
# Usage: tests/mapping/update_goldens.sh [BUILD_DIR]   (default: build)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
ninja -C "$build" mapping_tests
TB_UPDATE_GOLDENS=1 "$build/tests/mapping/mapping_tests" --gtest_filter='Samples/Golden.MatchesTheExpectedBundle/*'
git -C "$root" --no-pager diff --stat -- tests/mapping/golden/
