#!/usr/bin/env bash
# The test command (README, command 2; .ci/run calls it): installs what is missing, builds, and
# runs every test. Steps, in order:
#   deps        deploy/install-deps.sh
#   peers       npm ci in tests/peers/ (the real peer programs the tests talk to), if it exists
#   build       RelWithDebInfo build in build/ (tests, benchmarks, the trialbridge binary)
#   ctest       all tests in build/
#   bench       each benchmark once, briefly, so they keep working (figures: docs/PERFORMANCE.md)
#   asan-build  ASan + UBSan build in build-asan/ (-DTB_SANITIZE=ON)
#   asan-ctest  all tests in build-asan/
#   format      clang-format-14 over adapter/ tests/ bench/ fuzz/ (deploy/format.sh --check)
#   fuzz-build  libFuzzer targets with clang-14 in build-fuzz/ (-DTB_FUZZ=ON)
#   fuzz-run    each fuzz target for TB_FUZZ_SECONDS over a copy of its seed corpus
# Every step runs even when an earlier one failed, except those that need what failed; a summary
# follows, and the exit status is non-zero when any step failed.
#
# Environment:
#   TB_TEST_STEPS    comma-separated steps to run (default: all), e.g. TB_TEST_STEPS=build,ctest
#   TB_FUZZ_SECONDS  seconds per fuzz target (default 20)
#   TB_JOBS          build and test parallelism (default: nproc)
# shellcheck disable=SC2317  # step functions are called indirectly
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ALL_STEPS=(deps peers build ctest bench asan-build asan-ctest format fuzz-build fuzz-run)
STEPS=${TB_TEST_STEPS:-$(
  IFS=,
  echo "${ALL_STEPS[*]}"
)}
FUZZ_SECONDS=${TB_FUZZ_SECONDS:-20}
JOBS=${TB_JOBS:-$(nproc)}
LOGDIR=$(mktemp -d -t tb-test.XXXXXX)
START=$SECONDS

declare -a SUMMARY=()
declare -A STATUS=()
FAILED=0
TESTS_PASSED=0
TESTS_FAILED=0

wanted() { [[ ",$STEPS," == *",$1,"* ]]; }

# step NAME NEEDS FUNCTION: runs FUNCTION in a subshell with errexit on; NEEDS is a step that must
# have passed (or "-").
step() {
  local name=$1 needs=$2 fn=$3
  if ! wanted "$name"; then
    STATUS[$name]=skipped
    return 0
  fi
  if [[ $needs != - && ${STATUS[$needs]:-} != passed && ${STATUS[$needs]:-} != skipped ]]; then
    STATUS[$name]=blocked
    SUMMARY+=("$(printf '%-11s %-8s %6s  (needs %s)' "$name" BLOCKED - "$needs")")
    FAILED=1
    return 0
  fi
  echo
  echo "==> $name"
  local t0=$SECONDS rc=0
  set +e
  (
    set -euo pipefail
    "$fn"
  )
  rc=$?
  set -e
  local dt=$((SECONDS - t0))
  local elapsed
  elapsed=$(printf '%d:%02d' $((dt / 60)) $((dt % 60)))
  if [[ $rc -eq 0 ]]; then
    STATUS[$name]=passed
    SUMMARY+=("$(printf '%-11s %-8s %6s  %s' "$name" ok "$elapsed" "$(cat "$LOGDIR/$name.note" 2>/dev/null)")")
  else
    STATUS[$name]=failed
    FAILED=1
    SUMMARY+=("$(printf '%-11s %-8s %6s  %s' "$name" FAILED "$elapsed" "$(cat "$LOGDIR/$name.note" 2>/dev/null)")")
    echo "==> $name FAILED (exit $rc)"
  fi
}

note() { echo "$*" >"$LOGDIR/$CURRENT.note"; }

# cmake_build DIR BUILD_TYPE [cmake options...]: configures with Ninja (starting afresh if DIR was
# configured with another generator) and builds.
cmake_build() {
  local dir=$1 type=$2
  shift 2
  if [[ -f $dir/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
    echo "$dir was configured with another generator; starting it afresh"
    rm -rf "$dir"
  fi
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >"$LOGDIR/$(basename "$dir").configure.log" ||
    {
      cat "$LOGDIR/$(basename "$dir").configure.log"
      return 1
    }
  cmake --build "$dir" --parallel "$JOBS"
}

# run_ctest DIR: all tests, counted into the closing totals.
run_ctest() {
  local dir=$1 rc=0
  local log="$LOGDIR/ctest-${dir//\//_}.log"
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$JOBS" </dev/null 2>&1 |
    tee "$log" || rc=$?
  local line total failed
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [[ -n $line ]]; then
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    failed=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
    echo "$((total - failed)) $failed" >"$LOGDIR/$CURRENT.count"
    note "$((total - failed)) passed, $failed failed"
  else
    note "no test result (see output above)"
  fi
  return "$rc"
}

do_deps() { "$ROOT/deploy/install-deps.sh"; }

# Servers the tests talk to (a throwaway PostgreSQL 15 cluster for the store, issue 6) are
# started by those tests themselves, as a non-root user, on loopback; install-deps.sh installs them.
do_peers() {
  if [[ ! -f tests/peers/package.json ]]; then
    note "no tests/peers/package.json"
    return 0
  fi
  [[ -f tests/peers/package-lock.json ]] ||
    {
      echo "tests/peers/package-lock.json is missing: run 'npm install' there and commit the lockfile"
      return 1
    }
  (cd tests/peers && npm ci --no-audit --no-fund --loglevel=error </dev/null)
  note "npm ci in tests/peers"
}

do_build() {
  # -g1 (line tables, enough for stack traces and sanitizer reports) instead of -g: the compiler
  # spends a third less time per test file at -O2 (core_tests: 25 s against 38 s of CPU), and
  # nothing in this step needs full debug information.
  cmake_build build RelWithDebInfo -DTB_TESTS=ON -DTB_BENCH=ON -DTB_SANITIZE=OFF -DTB_FUZZ=OFF \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
}
do_ctest() { run_ctest build; }

do_bench() {
  # One brief run each: this checks that they work, it does not measure. Benchmarks that need
  # more than their defaults (peers, long set-up) are left out of this list.
  local smoke=(json_parse_bench) ran=() b
  for b in "${smoke[@]}"; do
    [[ -x build/bench/$b ]] || continue
    "build/bench/$b" --benchmark_min_time=0 </dev/null
    ran+=("$b")
  done
  note "${ran[*]:-no benchmark built}"
}

do_asan_build() {
  # -O1 (the usual level for sanitizer builds): GCC compiles ASan+UBSan code about twice as fast
  # as at -O2, and the tests still run quickly; -g1 as in the normal build. GCC 12's -Wmaybe-uninitialized gives false
  # positives on sanitizer-instrumented code (std::regex's std::function state, at -O1 and -O2);
  # the normal build keeps the warning.
  cmake_build build-asan RelWithDebInfo -DTB_SANITIZE=ON -DTB_TESTS=ON -DTB_BENCH=OFF -DTB_FUZZ=OFF \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
    -DCMAKE_CXX_FLAGS=-Wno-maybe-uninitialized
}
do_asan_ctest() {
  # lsan.supp lists leaks inside third-party libraries only (with the reason for each).
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS=suppressions=$ROOT/deploy/lsan.supp \
    run_ctest build-asan
}

do_format() {
  local out rc=0
  out=$("$ROOT/deploy/format.sh" --check) || rc=$?
  echo "$out"
  note "$(head -n 1 <<<"$out" | sed 's/^format: //; s/:$//')"
  return "$rc"
}

do_fuzz_build() {
  # -O1 -g1: the fuzzers need coverage and line tables, not -O2's code.
  # RapidJSON 1.1's member iterators trip clang's C++20 -Wambiguous-reversed-operator in code
  # that uses them (GCC does not warn); fixed in later RapidJSON, so it is silenced here.
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTB_FUZZ=ON -DTB_TESTS=OFF \
    -DTB_BENCH=OFF -DTB_SANITIZE=OFF -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_CXX_FLAGS=-Wno-ambiguous-reversed-operator \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
    >"$LOGDIR/build-fuzz.configure.log" || {
    cat "$LOGDIR/build-fuzz.configure.log"
    return 1
  }
  cmake --build build-fuzz --parallel "$JOBS" --target fuzzers
  note "$(cut -d' ' -f1 build-fuzz/fuzz/targets.txt | tr '\n' ' ')"
}

do_fuzz_run() {
  local work names=() pids=() rc=0
  work=$(mktemp -d -t tb-fuzz.XXXXXX)
  while read -r name bin corpus; do
    [[ -n $name ]] || continue
    mkdir -p "$work/$name/corpus" "$work/$name/artifacts"
    [[ -d $corpus ]] && cp -R "$corpus/." "$work/$name/corpus/"
    echo "$name: ${FUZZ_SECONDS}s over $(find "$work/$name/corpus" -type f | wc -l) seeds"
    (
      cd "$work/$name"
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$ROOT/fuzz/ubsan.supp \
        "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -max_len=65536 -timeout=10 \
        -artifact_prefix="$work/$name/artifacts/" -print_final_stats=1 corpus \
        </dev/null >"$work/$name/log" 2>&1
    ) &
    names+=("$name")
    pids+=($!)
  done <build-fuzz/fuzz/targets.txt
  local i results=()
  for i in "${!pids[@]}"; do
    local name=${names[$i]}
    if wait "${pids[$i]}"; then
      local runs
      runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$work/$name/log" | grep -oE '[0-9]+$' || echo '?')
      results+=("$name ok ($runs runs)")
      echo "$name: ok, $runs runs; $(grep -E '^#[0-9]+ +DONE' "$work/$name/log" | tail -n 1)"
    else
      rc=1
      results+=("$name CRASHED")
      echo "$name: FAILED; the end of its log:"
      tail -n 60 "$work/$name/log"
      mkdir -p build-fuzz/artifacts
      cp -R "$work/$name/artifacts/." build-fuzz/artifacts/ 2>/dev/null || true
      echo "inputs that failed are in build-fuzz/artifacts/:"
      ls -1 build-fuzz/artifacts/ | sed 's/^/  /'
    fi
  done
  [[ ${#names[@]} -gt 0 ]] || {
    echo "no fuzz targets in build-fuzz/fuzz/targets.txt"
    return 1
  }
  rm -rf "$work"
  note "${results[*]}"
  return "$rc"
}

run() {
  CURRENT=$1
  step "$1" "$2" "$3"
}
run deps - do_deps
run peers deps do_peers
run build deps do_build
run ctest build do_ctest
run bench build do_bench
run asan-build deps do_asan_build
run asan-ctest asan-build do_asan_ctest
run format deps do_format
run fuzz-build deps do_fuzz_build
run fuzz-run fuzz-build do_fuzz_run

for f in "$LOGDIR"/*.count; do
  [[ -f $f ]] || continue
  read -r p fl <"$f"
  TESTS_PASSED=$((TESTS_PASSED + p))
  TESTS_FAILED=$((TESTS_FAILED + fl))
done
rm -rf "$LOGDIR"

total=$((SECONDS - START))
echo
echo "==================== trialbridge test summary ===================="
printf '%s\n' "${SUMMARY[@]}"
printf 'total time %d:%02d; steps skipped: %s\n' $((total / 60)) $((total % 60)) \
  "$(for s in "${ALL_STEPS[@]}"; do [[ ${STATUS[$s]:-} == skipped ]] && printf '%s ' "$s"; done)"
if [[ $FAILED -ne 0 ]]; then
  echo "RESULT: FAILED"
else
  echo "RESULT: all steps passed"
fi
echo "tests: $TESTS_PASSED passed, $TESTS_FAILED failed"
exit "$FAILED"
