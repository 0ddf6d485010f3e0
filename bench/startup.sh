#!/usr/bin/env bash
# Start-up time of `trialbridge validate` on one small file: a new process per run, so every run
# pays for loading the R4 core definitions (the figure the HL7 Java validator takes 2-9 s for).
# `trialbridge --help` is timed beside it as the floor (process start, no FHIR work).
#
# Usage: bench/startup.sh [TRIALBRIDGE] [FILE]
#   TRIALBRIDGE  default build/adapter/cli/trialbridge (build Release first: ./deploy/run.sh does)
#   FILE         default samples/fhir/patient-example.json
#   TB_RUNS=N            runs per command (default 30)
#   TB_DROP_CACHES=1     also drop the page cache before every run (root, where permitted)
#   TB_EXPORT=FILE.md    write hyperfine's markdown table there
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=${1:-build/adapter/cli/trialbridge}
FILE=${2:-samples/fhir/patient-example.json}
RUNS=${TB_RUNS:-30}
command -v hyperfine >/dev/null || {
  echo "startup.sh: hyperfine is missing (deploy/install-deps.sh installs it)" >&2
  exit 2
}
[[ -x $BIN ]] || {
  echo "startup.sh: $BIN is not built (run ./deploy/run.sh or build Release)" >&2
  exit 2
}
[[ -f $FILE ]] || {
  echo "startup.sh: $FILE: no such file" >&2
  exit 2
}

echo "binary: $BIN ($(stat -c %s "$BIN") bytes); input: $FILE ($(stat -c %s "$FILE") bytes)"
"$BIN" validate --format text "$FILE" || true

args=(--warmup 3 --runs "$RUNS" -N)
[[ -n ${TB_EXPORT:-} ]] && args+=(--export-markdown "$TB_EXPORT")
if [[ ${TB_DROP_CACHES:-0} == 1 ]]; then
  args+=(--prepare 'sh -c "sync; echo 3 > /proc/sys/vm/drop_caches"')
fi
# -i: validate exits 1 when the file has errors; the time is what is measured here.
hyperfine "${args[@]}" -i \
  -n 'trialbridge --help' "$BIN --help" \
  -n "trialbridge validate $(basename "$FILE")" "$BIN validate --format json $FILE"

if [[ -x /usr/bin/time ]]; then
  /usr/bin/time -f 'peak memory (max RSS): %M KiB' "$BIN" validate --format json "$FILE" >/dev/null || true
fi
