#!/usr/bin/env bash
# The long variant of deploy/test.sh fuzz-run: every libFuzzer target of build-fuzz/ (listed in
# build-fuzz/fuzz/targets.txt) for a total wall-clock time, PARALLEL targets at a time, each for
# TOTAL * PARALLEL / number-of-targets seconds. Each target fuzzes a corpus kept between soaks
# (build-fuzz/soak/NAME/corpus, seeded from fuzz/corpus/NAME); an input that crashes, leaks,
# hangs past -timeout or goes past -rss_limit_mb is kept in build-fuzz/soak/artifacts/NAME/ with
# the end of the target's log beside it, and so is an input libFuzzer reports as slow (over 10 s
# once: slow-unit-*, counted apart, not a failure; replay it alone to see its CPU time). Prints
# one line per target (runs, coverage, corpus size, slow inputs, crashes) and a summary; exits 1
# if any target crashed.
#
#   bench/fuzz_soak.sh [TOTAL_SECONDS] [BUILD_DIR]     defaults: 3600, build-fuzz
#   TB_FUZZ_PARALLEL=N     targets at a time (default 2)
#   TB_FUZZ_ONLY="a b"     only these targets
#   TB_FUZZ_TIMEOUT=S      an input running longer is a hang, kept as a timeout-* artefact
#                          (default 60; libFuzzer counts wall-clock time, and a soak niced to 19
#                          on a busy machine gets little CPU: a 10 s limit, as deploy/test.sh
#                          fuzz-run has, then flags a target's slow first input - its one-time
#                          set-up - as a hang)
#
# Build the targets first: deploy/test.sh fuzz-build (or cmake --build build-fuzz --target
# fuzzers). Run it niced in the background: nice -n 19 bench/fuzz_soak.sh 1800 > soak.log &
#
# Turning a crash into a regression test (see docs/reliability.md, "Hostile input"):
#   1. reproduce: build-fuzz/fuzz/NAME build-fuzz/soak/artifacts/NAME/crash-HASH
#   2. minimise:  build-fuzz/fuzz/NAME -minimize_crash=1 -runs=10000 \
#                   -exact_artifact_path=min build-fuzz/soak/artifacts/NAME/crash-HASH
#   3. keep it:   cp min fuzz/corpus/<NAME without _fuzz>/regress-<what-it-is>   (every fuzz-run
#                 and soak then replays it first), and write a unit test in tests/<layer>/ that
#                 feeds the same bytes to the parser and asserts the clear error it must give;
#   4. fix the code until both pass.
set -euo pipefail
total=${1:-3600}
build=${2:-build-fuzz}
parallel=${TB_FUZZ_PARALLEL:-2}
timeout=${TB_FUZZ_TIMEOUT:-60}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
targets=$build/fuzz/targets.txt
[[ -s $targets ]] || {
  echo "fuzz_soak.sh: no $targets; build the fuzz targets first (deploy/test.sh fuzz-build)" >&2
  exit 2
}

mapfile -t lines < <(grep -v '^[[:space:]]*$' "$targets")
if [[ -n ${TB_FUZZ_ONLY:-} ]]; then
  kept=()
  for line in "${lines[@]}"; do
    for only in $TB_FUZZ_ONLY; do [[ ${line%% *} == "$only" ]] && kept+=("$line"); done
  done
  lines=("${kept[@]}")
fi
count=${#lines[@]}
((count > 0)) || {
  echo "fuzz_soak.sh: no target to run" >&2
  exit 2
}
per=$((total * parallel / count))
((per >= 10)) || per=10
soak=$root/$build/soak
mkdir -p "$soak/artifacts"
echo "fuzz soak: $count targets, ${per}s each, $parallel at a time, timeout ${timeout}s," \
  "$(date -u +%FT%TZ)"

# runTarget NAME BIN SEEDS: one target for $per seconds; its status line goes to NAME/status.
runTarget() {
  local name=$1 bin=$2 seeds=$3 dir=$soak/$1
  mkdir -p "$dir/corpus" "$dir/artifacts"
  [[ -d $seeds ]] && cp -Rn "$seeds/." "$dir/corpus/"
  local rc=0
  (
    cd "$dir"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$root/fuzz/ubsan.supp \
      "$bin" -max_total_time="$per" -rss_limit_mb=2048 -max_len=65536 -timeout="$timeout" \
      -artifact_prefix="$dir/artifacts/" -print_final_stats=1 corpus </dev/null >"$dir/log" 2>&1
  ) || rc=$?
  local runs cov files crashes slow
  runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$dir/log" | grep -oE '[0-9]+$' || echo '?')
  cov=$(grep -oE 'cov: [0-9]+' "$dir/log" | tail -n 1 | grep -oE '[0-9]+' || echo '?')
  files=$(find "$dir/corpus" -type f | wc -l)
  # libFuzzer's slow-unit-* files are inputs that took over 10 s of wall-clock time once: kept to
  # look at (a niced soak on a busy machine makes them from CPU starvation), not failures.
  crashes=$(find "$dir/artifacts" -type f ! -name 'slow-unit-*' | wc -l)
  slow=$(find "$dir/artifacts" -type f -name 'slow-unit-*' | wc -l)
  if ((rc != 0 || crashes > 0 || slow > 0)); then
    mkdir -p "$soak/artifacts/$name"
    cp -R "$dir/artifacts/." "$soak/artifacts/$name/" 2>/dev/null || true
    tail -n 80 "$dir/log" >"$soak/artifacts/$name/log-tail.txt"
    rm -f "$dir/artifacts/"*
  fi
  echo "$name runs=$runs cov=$cov corpus=$files slow=$slow crashes=$crashes exit=$rc" >"$dir/status"
  cat "$dir/status"
}

running=0
for line in "${lines[@]}"; do
  read -r name bin seeds <<<"$line"
  runTarget "$name" "$bin" "$seeds" &
  running=$((running + 1))
  if ((running >= parallel)); then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

failed=0
runsTotal=0
echo "summary ($(date -u +%FT%TZ)):"
for line in "${lines[@]}"; do
  read -r name _ <<<"$line"
  status=$(cat "$soak/$name/status" 2>/dev/null || echo "$name no status")
  echo "  $status"
  [[ $status =~ crashes=0\ exit=0$ ]] || failed=$((failed + 1))
  r=$(grep -oE 'runs=[0-9]+' <<<"$status" | cut -d= -f2 || true)
  runsTotal=$((runsTotal + ${r:-0}))
done
echo "total runs: $runsTotal; targets that crashed: $failed"
((failed == 0)) || {
  echo "crashing inputs are in $soak/artifacts/ (see the top of this script to make them tests)"
  exit 1
}
