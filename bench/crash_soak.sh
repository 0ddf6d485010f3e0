#!/usr/bin/env bash
# The long variant of the crash-consistency test (tests/service/crash_test.cc): hundreds of
# SIGKILLs of `trialbridge serve` per backend instead of the test command's eight, while REST
# clients write, MLLP senders send lab results (with resends) and the registry sync publishes to
# the Medplum peer; half the kills right after a commit, before its answers (the store's
# test-only hook TB_FAULT_KILL_AFTER_COMMIT). Then the database-fault tests (PostgreSQL stopped
# and restarted, its data disk full, its WAL disk full) repeated, PostgreSQL itself SIGKILLed
# ($TB_PG_KILL_ROUNDS rounds, default ROUNDS/4: the whole server or one backend, with fsync on),
# and the store's connection-loss stress test, repeated. Prints each run's totals (rounds, kills,
# writes and messages, acknowledged, lost, half, duplicates) and the seed. Needs `npm ci` in
# tests/peers (the Medplum peer), as the test command does.
#
#   bench/crash_soak.sh [BUILD_DIR] [ROUNDS]      defaults: build, 200 (per backend)
#   TB_CRASH_SEED=N bench/crash_soak.sh           replay a run's kill moments
#   TB_SOAK_PARTS="faults pgkill" bench/crash_soak.sh   only some parts (of: crash faults pgkill
#                                                       connections; default all)
set -euo pipefail
build=${1:-build}
rounds=${2:-200}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -x $build/tests/service/crash_tests ]] || {
  echo "crash_soak.sh: build crash_tests first (cmake --build $build --target crash_tests)" >&2
  exit 2
}
parts=${TB_SOAK_PARTS:-crash faults pgkill connections}
part() { [[ " $parts " == *" $1 "* ]]; }
start=$(date +%s)
if part crash; then
  TB_CRASH_ROUNDS=$rounds "$build/tests/service/crash_tests" --gtest_filter='Backends/CrashTest.*' |
    grep -E '^(sqlite|postgresql):|FAILED|PASSED|Failure'
fi
if part faults; then
  "$build/tests/service/crash_tests" \
    --gtest_filter='DatabaseFaults.*-DatabaseFaults.PostgresqlKilledUnderLoad' \
    --gtest_repeat="$((rounds / 50 + 1))" | grep -E '^PostgreSQL|FAILED|Failure'
fi
if part pgkill; then
  TB_PG_KILL_ROUNDS=${TB_PG_KILL_ROUNDS:-$((rounds / 4 > 4 ? rounds / 4 : 4))} \
    "$build/tests/service/crash_tests" --gtest_filter='DatabaseFaults.PostgresqlKilledUnderLoad' |
    grep -E '^PostgreSQL killed( [0-9]+ times|:)|FAILED|PASSED|Failure'
fi
if part connections; then
  "$build/tests/store/store_tests" --gtest_filter='*SurviveLostConnections*' \
    --gtest_repeat="$((rounds / 20 + 1))" | grep -E '^kills|FAILED|PASSED' | sort | uniq -c
fi
echo "crash_soak.sh: $rounds rounds per backend in $(($(date +%s) - start)) s"
