#!/usr/bin/env bash
# The long variant of the crash-consistency test (tests/service/crash_test.cc): hundreds of
# SIGKILLs of `trialbridge serve` per backend instead of the test command's eight, and the
# PostgreSQL store's connection-loss stress test repeated. Prints each run's totals (rounds,
# writes attempted and acknowledged, lost, half transactions, duplicates) and the seed.
#
#   bench/crash_soak.sh [BUILD_DIR] [ROUNDS]      defaults: build, 200
#   TB_CRASH_SEED=N bench/crash_soak.sh           replay a run's kill delays
set -euo pipefail
build=${1:-build}
rounds=${2:-200}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -x $build/tests/service/crash_tests ]] || {
  echo "crash_soak.sh: build crash_tests first (cmake --build $build --target crash_tests)" >&2
  exit 2
}
TB_CRASH_ROUNDS=$rounds "$build/tests/service/crash_tests" \
  --gtest_filter='Backends/CrashTest.*' | grep -E '^(sqlite|postgresql):|FAILED|PASSED'
"$build/tests/store/store_tests" --gtest_filter='*SurviveLostConnections*' \
  --gtest_repeat="$((rounds / 20 + 1))" | grep -E '^kills|FAILED|PASSED' | sort | uniq -c
