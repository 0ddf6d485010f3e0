#!/usr/bin/env bash
# The main job (README, command 1): installs what is missing, builds a Release trialbridge in
# build-release/ (build/ is the test command's RelWithDebInfo build), and runs it.
#
#   ./deploy/run.sh            the main job: `trialbridge serve` with the reference trial on
#                              SQLite (trialbridge.db in the working directory)
#   ./deploy/run.sh ARGS...    build, then run `trialbridge ARGS...` instead
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

"$ROOT/deploy/install-deps.sh"

BUILD=build-release
if [[ -f $BUILD/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$BUILD/CMakeCache.txt"; then
  rm -rf "$BUILD"  # configured with another generator
fi
echo "run.sh: building trialbridge (Release) in $BUILD/"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTB_SANITIZE=OFF -DTB_FUZZ=OFF >/dev/null
cmake --build "$BUILD" --parallel "$(nproc)" --target trialbridge

TRIALBRIDGE=$BUILD/adapter/cli/trialbridge
if [[ $# -gt 0 ]]; then
  exec "$TRIALBRIDGE" "$@"
fi

# MAIN JOB: the FHIR service (docs/rest.md) and the HL7 v2 MLLP listener (docs/mllp.md) on SQLite
# (trialbridge.db here) with the reference trial loaded and its sample subjects enrolled (with the
# samples' demonstration secret); it prints where to send FHIR and HL7 and serves until Ctrl-C.
# TB_HTTP_PORT and TB_MLLP_PORT change the ports (8080 and 2575).
http_port=${TB_HTTP_PORT:-8080}
mllp_port=${TB_MLLP_PORT:-2575}
out=$(mktemp -t trialbridge-serve.XXXXXX)
echo "run.sh: $TRIALBRIDGE serve --trial samples/trials/NCT06813157.json" \
  "--secret-file samples/entities/demo.secret --port $http_port --mllp-port $mllp_port"
"$TRIALBRIDGE" serve --trial samples/trials/NCT06813157.json \
  --secret-file samples/entities/demo.secret --port "$http_port" --mllp-port "$mllp_port" \
  > >(tee "$out") &
serve=$!
trap 'kill -TERM "$serve" 2>/dev/null; wait "$serve"; rm -f "$out"; exit 0' INT TERM
for _ in $(seq 600); do
  grep -q 'MLLP on ' "$out" && break
  kill -0 "$serve" 2>/dev/null || { wait "$serve" || exit $?; }
  sleep 0.1
done
base=$(sed -n 's/^trialbridge serve: FHIR base //p' "$out")
"$TRIALBRIDGE" enrol --server "$base" samples/entities/nct06813157-subject-*.json
cat <<EOT

run.sh: trialbridge is serving (Ctrl-C stops it):
  FHIR   $base   (e.g. curl '$base/ResearchSubject')
  HL7 v2 MLLP on 127.0.0.1:$mllp_port   (samples/send.sh $mllp_port $base sends the sample lab messages)
  console http://127.0.0.1:$http_port/console/
EOT
wait "$serve"
