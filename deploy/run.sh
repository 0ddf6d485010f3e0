#!/usr/bin/env bash
# The main job (README, command 1): installs what is missing, builds a Release trialbridge in
# build/, and runs it.
#
#   ./deploy/run.sh            the main job: validate every resource under samples/
#   ./deploy/run.sh ARGS...    build, then run `trialbridge ARGS...` instead
#
# The main job was `trialbridge validate samples/fhir/` until the service landed; now it is
# `trialbridge serve` with the sample trial on SQLite (see the MAIN JOB line below).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

"$ROOT/deploy/install-deps.sh"

if [[ -f build/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' build/CMakeCache.txt; then
  rm -rf build  # configured with another generator
fi
echo "run.sh: building trialbridge (Release) in build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTB_SANITIZE=OFF -DTB_FUZZ=OFF >/dev/null
cmake --build build --parallel "$(nproc)" --target trialbridge

TRIALBRIDGE=build/adapter/cli/trialbridge
if [[ $# -gt 0 ]]; then
  exec "$TRIALBRIDGE" "$@"
fi

# MAIN JOB: the FHIR service (docs/rest.md) on SQLite (trialbridge.db here) with the reference
# trial loaded; it prints its base URL and serves until Ctrl-C.
echo "run.sh: $TRIALBRIDGE serve --trial samples/trials/NCT06813157.json"
exec "$TRIALBRIDGE" serve --trial samples/trials/NCT06813157.json
