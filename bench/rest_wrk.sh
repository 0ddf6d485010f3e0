#!/usr/bin/env bash
# REST service throughput under wrk: reads, searches and creates per second, with p99 latency,
# on SQLite (the embedded default) and PostgreSQL 15. Figures go in docs/PERFORMANCE.md.
#
#   bench/rest_wrk.sh [--backend sqlite|postgresql|both] [--duration S] [--connections N]
#                     [--threads N] [--count N] [--patients N] [--server PATH] [--no-audit]
#
# It starts the server (bench/rest_server: `trialbridge serve`, Release build) on a free port
# with a fresh database in a temporary directory (for PostgreSQL: a throwaway cluster, fsync on,
# started as an unprivileged user when run as root), seeds COUNT Observations over PATIENTS
# Patients, then runs wrk three times on the same machine:
#   read    GET /fhir/Observation/obs-N (random N)
#   search  GET /fhir/Observation?subject=Patient/p-K&code=http://loinc.org|777-3&_count=10
#   create  POST /fhir/Observation (a tb-observation: parsed, validated against the profile,
#           indexed, audited, and durable before the 201: SQLite WAL synchronous=FULL; PostgreSQL
#           synchronous_commit on)
# Audit records are on (every read and search of an Observation writes an AuditEvent) unless
# --no-audit. Writes of the trial's types are validated as in production. Each line also gives
# the server's CPU time per request (cpu us/req), steadier than req/s on a busy machine.
#
# Build first:
#   cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release && \
#     cmake --build build-release --target rest_server
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKEND=sqlite
DURATION=10
CONNECTIONS=32
THREADS=2
COUNT=2000
PATIENTS=200
AUDIT=true
SERVER=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --backend) BACKEND=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --count) COUNT=$2; shift 2 ;;
    --patients) PATIENTS=$2; shift 2 ;;
    --server) SERVER=$2; shift 2 ;;
    --no-audit) AUDIT=false; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "rest_wrk.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ -z $SERVER ]]; then
  for candidate in build-release/bench/rest_server build-rel/bench/rest_server build/bench/rest_server; do
    if [[ -x $ROOT/$candidate ]]; then SERVER=$ROOT/$candidate; break; fi
  done
fi
[[ -x $SERVER ]] || { echo "rest_wrk.sh: no rest_server binary (build the rest_server target, see --help)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "rest_wrk.sh: wrk is not installed (deploy/install-deps.sh)" >&2; exit 2; }

WORK=$(mktemp -d -t tb-rest-bench.XXXXXX)
SERVER_PID=""
PG_BIN=${TB_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ -f $WORK/pg/data/postmaster.pid ]]; then
    if [[ -n $PG_USER ]]; then
      runuser -u "$PG_USER" -- "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    else
      "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_postgres() {
  [[ -x $PG_BIN/initdb ]] || { echo "rest_wrk.sh: PostgreSQL 15 not found in $PG_BIN (deploy/install-deps.sh)" >&2; exit 2; }
  mkdir -p "$WORK/pg"
  local run=()
  if [[ $(id -u) -eq 0 ]]; then
    PG_USER=nobody
    chown -R nobody "$WORK/pg"
    chmod 755 "$WORK"
    run=(runuser -u nobody --)
  fi
  "${run[@]}" "$PG_BIN/initdb" -D "$WORK/pg/data" -A trust -U postgres -E UTF8 --no-locale >/dev/null
  PG_PORT=$(free_port)
  "${run[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w \
    -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB" start >/dev/null
}

# The CPU time (user + system, in clock ticks) the server process has used so far.
server_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

# run_wrk NAME SCRIPT URL: prints "NAME req/s p99 errors cpu": cpu is the server's CPU time
# per request (user + system, microseconds), which a busy shared machine disturbs much less
# than the throughput (the database server's own CPU is not counted).
run_wrk() {
  local name=$1 script=$2 url=$3 out before after
  before=$(server_ticks)
  out=$(cd "$ROOT/bench/rest" && TB_COUNT=$COUNT TB_PATIENTS=$PATIENTS TB_BODY=observation.json \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$script" "$url" 2>&1)
  after=$(server_ticks)
  local rps p99 errors requests cpu
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(awk -v t=$((after - before)) -v n="${requests:-0}" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else print "?" }')
  printf '%-10s %-7s %12s req/s   p99 %9s   errors %s   cpu %5s us/req\n' "$BACKEND_NAME" "$name" \
    "$rps" "$p99" "${errors:-0}" "$cpu"
  if [[ -n $errors && $errors != 0 ]]; then
    echo "$out" >&2
  fi
}

bench_backend() {
  BACKEND_NAME=$1
  local port store
  port=$(free_port)
  if [[ $BACKEND_NAME == postgresql ]]; then
    start_postgres
    store="{\"backend\":\"postgresql\",\"database\":\"host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres\",\"readConnections\":8}"
  else
    store="{\"backend\":\"sqlite\",\"database\":\"$WORK/bench.db\"}"
  fi
  cat >"$WORK/config.json" <<EOF
{"http":{"host":"127.0.0.1","port":$port,"threads":64},"store":$store,"audit":{"enabled":$AUDIT}}
EOF
  "$SERVER" --config "$WORK/config.json" --trial "$ROOT/samples/trials/NCT06813157.json" \
    >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    grep -q "FHIR base" "$WORK/server.out" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; exit 1; }
    sleep 0.2
  done
  local base="http://127.0.0.1:$port/fhir"
  python3 "$ROOT/bench/rest/seed.py" "$base" "$COUNT" "$PATIENTS" "$ROOT/bench/rest/observation.json"
  run_wrk read read.lua "http://127.0.0.1:$port"
  run_wrk search search.lua "http://127.0.0.1:$port"
  run_wrk create create.lua "$base/Observation"
  kill "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=""
  grep -h "units of work" "$WORK/server.err" | sed "s/^trialbridge serve: /$BACKEND_NAME: /" || true
}

echo "rest_wrk.sh: $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $COUNT Observations over $PATIENTS Patients, audit $AUDIT, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
case $BACKEND in
  sqlite|postgresql) bench_backend "$BACKEND" ;;
  both) bench_backend sqlite; bench_backend postgresql ;;
  *) echo "rest_wrk.sh: --backend sqlite, postgresql or both" >&2; exit 2 ;;
esac
