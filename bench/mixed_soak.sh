#!/usr/bin/env bash
# The sustained mixed load of issue 15 (docs/PERFORMANCE.md, "Mixed load"): `trialbridge serve`
# (SQLite, durable commits) with the reference trial (samples/trials/NCT06813157.json) loaded and
# the three sample subjects enrolled, a registry target on the Medplum peer
# (tests/peers/medplum_server.mjs) synced every 2 s, then for MINUTES:
#   - 8 MLLP connections sending the sample lab results (new control id and filler order number
#     each time, so each is a new result stored), each waiting for its ACK before the next;
#   - 4 REST clients reading and searching (a Patient, its Observations, the Observations of a
#     code, the ResearchSubjects), with keep-alive;
#   - 1 REST writer creating an Organization every 2 s (a type the registry target publishes, so
#     the sync has work all along);
# while the server's RSS and open descriptors are sampled every second into a CSV. At the end:
# messages and requests per second, latency percentiles, peak RSS, descriptors min/max, the
# slope of RSS and descriptors over the last half of the run, what the registry received, and an
# SVG plot of memory and descriptors over time (bench/mixed_soak.py writes it; python3 only).
#
#   bench/mixed_soak.sh [MINUTES] [BUILD_DIR] [OUT_DIR]   defaults: 5, build, docs/perf
#   TB_SOAK_SECONDS=N    run N seconds instead (a quick try)
#   TB_SOAK_CACHE_ENTRIES=N  the store's cacheEntries (default 50000, the service's own default)
#   TB_SOAK_CACHE_MIB=N  the store's cacheMegabytes (default: the service's, 64)
#   TB_SOAK_PAGE_CACHE_MIB=N, TB_SOAK_HEAP_LIMIT_MIB=N  the store's pageCacheMegabytes and
#                        sqliteHeapLimitMegabytes (default: the service's defaults)
#   TB_SOAK_WRAP="heaptrack -o /tmp/x"  a command the server runs under (a heap profile); the
#                        samples are then of the server itself, not of the wrapper
#
# Needs: a built trialbridge (cmake --build BUILD_DIR --target trialbridge), node, and
# `npm ci` in tests/peers. Writes OUT_DIR/mixed_soak.csv and OUT_DIR/mixed_soak.svg.
set -euo pipefail
minutes=${1:-5}
build=${2:-build}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${3:-$root/docs/perf}
cd "$root"
tb=$build/adapter/cli/trialbridge
[[ -x $tb ]] || {
  echo "mixed_soak.sh: no $tb (cmake --build $build --target trialbridge)" >&2
  exit 2
}
[[ -d tests/peers/node_modules ]] || {
  echo "mixed_soak.sh: run npm ci in tests/peers first" >&2
  exit 2
}
mkdir -p "$out"
work=$(mktemp -d -t tb-mixed-soak.XXXXXX)
peer=""
server=""
sampled=""
cleanup() {
  # A wrapper ends when the server does (heaptrack then writes its profile).
  if [[ -n $sampled && $sampled != "$server" ]]; then
    kill -TERM "$sampled" 2>/dev/null && wait "$server" 2>/dev/null || true
  else
    [[ -n $server ]] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  fi
  [[ -n $peer ]] && kill -TERM "$peer" 2>/dev/null && wait "$peer" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# waitFor FILE PATTERN: until a line of FILE matches (60 s at most).
waitFor() {
  for _ in $(seq 600); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "mixed_soak.sh: '$2' never came in $1:" >&2
  cat "$1" >&2
  return 1
}

node tests/peers/medplum_server.mjs 0 >"$work/peer.log" 2>&1 &
peer=$!
waitFor "$work/peer.log" 'medplum listening'
peerPort=$(sed -n 's/^medplum listening \([0-9]*\).*/\1/p' "$work/peer.log")

cat >"$work/config.json" <<EOF
{
  "store": {"database": "$work/soak.db", "cacheEntries": ${TB_SOAK_CACHE_ENTRIES:-50000}
            ${TB_SOAK_PAGE_CACHE_MIB:+, \"pageCacheMegabytes\": $TB_SOAK_PAGE_CACHE_MIB}
            ${TB_SOAK_HEAP_LIMIT_MIB:+, \"sqliteHeapLimitMegabytes\": $TB_SOAK_HEAP_LIMIT_MIB}
            ${TB_SOAK_CACHE_MIB:+, \"cacheMegabytes\": $TB_SOAK_CACHE_MIB}},
  "mllp": {"port": 0, "maxConnections": 16, "messageLog": false},
  "registries": {"medplum": {"kind": "fhir", "url": "http://127.0.0.1:$peerPort/fhir",
                             "intervalSeconds": 2, "requestsPerMinute": 6000, "burst": 50}}
}
EOF
${TB_SOAK_WRAP:-} "$tb" serve --config "$work/config.json" --port 0 --trial samples/trials/NCT06813157.json \
  --secret-file samples/entities/demo.secret >"$work/serve.out" 2>"$work/serve.err" &
server=$!
waitFor "$work/serve.out" 'MLLP on '
# Under a wrapper, the server is the process whose command line names this run's configuration.
sampled=$server
[[ -n ${TB_SOAK_WRAP:-} ]] && sampled=$(pgrep -n -f -- "^$tb serve --config $work/config.json")
base=$(sed -n 's/^trialbridge serve: FHIR base //p' "$work/serve.out")
mllpPort=$(sed -n 's/^trialbridge serve: MLLP on .*:\([0-9]*\).*/\1/p' "$work/serve.out")
"$tb" enrol --server "$base" samples/entities/nct06813157-subject-*.json >"$work/enrol.log"

echo "mixed soak: ${TB_SOAK_SECONDS:-$((minutes * 60))} s; server pid $server, FHIR $base, MLLP $mllpPort, Medplum $peerPort;" \
  "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/mixed_soak.py --pid "$sampled" --base "$base" --mllp-port "$mllpPort" \
  --peer "http://127.0.0.1:$peerPort" --seconds "${TB_SOAK_SECONDS:-$((minutes * 60))}" \
  --csv "$out/mixed_soak.csv" --svg "$out/mixed_soak.svg" samples/hl7v2/nct06813157-itp-000*.hl7
kill -0 "$server" || {
  echo "mixed_soak.sh: the server died; its log:" >&2
  tail -n 50 "$work/serve.err" >&2
  exit 1
}
errors=$(grep -ciE 'error|fatal' "$work/serve.err" || true)
echo "server log: $(wc -l <"$work/serve.err") lines, $errors with error/fatal"
