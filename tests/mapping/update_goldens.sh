#!/bin/sh
# Regenerates tests/mapping/golden/*.json and golden/v2/*.json (the HL7 v2 samples') from the current mapping, on purpose: run it after a
# deliberate change of the mapping, then review `git diff tests/mapping/golden/`.
# Usage: tests/mapping/update_goldens.sh [BUILD_DIR]   (default: build)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
ninja -C "$build" mapping_tests
TB_UPDATE_GOLDENS=1 "$build/tests/mapping/mapping_tests" \
  --gtest_filter='Samples/Golden.MatchesTheExpectedBundle/*:V2Samples/V2Golden.MatchesTheExpectedBundles/*'
git -C "$root" --no-pager diff --stat -- tests/mapping/golden/
