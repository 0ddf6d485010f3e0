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

# MAIN JOB: the FHIR service (docs/rest.md) on SQLite (trialbridge.db here) with the reference
# trial loaded; it prints its base URL and serves until Ctrl-C.
echo "run.sh: $TRIALBRIDGE serve --trial samples/trials/NCT06813157.json"
exec "$TRIALBRIDGE" serve --trial samples/trials/NCT06813157.json
