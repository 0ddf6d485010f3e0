#!/usr/bin/env bash
# Installs what trialbridge needs to build, test and run, from Debian bookworm packages only.
#
# Idempotent: asks dpkg what is already installed and installs only the rest, so a second run does
# nothing (and needs no network). Works as root or through sudo; never asks a question.
# Quiet on success; on failure it says which packages it could not install and shows apt's log.
#
# Usage: deploy/install-deps.sh [--quiet]
#   TB_DEPS_VERBOSE=1   show apt's output as it runs
set -euo pipefail

QUIET=0
[[ "${1:-}" == "--quiet" ]] && QUIET=1

# What each package is for:
#   toolchain         build-essential cmake ninja-build pkg-config
#   libraries         libpoco-dev libpcre3-dev rapidjson-dev libssl-dev zlib1g-dev libsqlite3-dev libpq-dev
#   tests, benchmarks libgtest-dev libgmock-dev libbenchmark-dev
#   store tests       postgresql-15 (the server)
#   fuzzing, format   clang-14 libclang-rt-14-dev (libFuzzer, sanitizer runtimes) clang-format-14
#   tools             python3 (tools/), hyperfine (start-up timing), wrk (HTTP load),
#                     libxml2-utils (xmllint: the PRS XML tests validate against the schema)
#   deploy checks     python3-yaml (tests/deploy/check_deploy.py), debootstrap
#                     (deploy/chroot-image.py), curl (the README's examples: a fresh bookworm has
#                     none)
#   test peers        python3-hl7 (mllp_send, an MLLP client the MLLP tests send with),
#                     python3-prometheus-client (its parser reads /metrics in the tests)
#   browser tests     chromium (the web console's tests drive it headless with puppeteer-core)
PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libpoco-dev libpcre3-dev rapidjson-dev libssl-dev zlib1g-dev libsqlite3-dev libpq-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15
  clang-14 libclang-rt-14-dev clang-format-14
  python3 hyperfine wrk libxml2-utils
  python3-yaml debootstrap curl
  python3-hl7 python3-prometheus-client
  chromium
)
# Node.js and npm (test peers under tests/peers/; npm also fetches the web console's pinned
# libraries at configure time, console/package-lock.json): only when there is no node at all, so
# a node that is already installed some other way is left alone.
if ! command -v node >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

say() { [[ $QUIET == 1 ]] || echo "install-deps: $*"; }
fail() {
  echo "install-deps: ERROR: $*" >&2
  exit 1
}

installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == "installed" ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  say "all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 ||
    fail "not root and no sudo; run as root: apt-get install ${missing[*]}"
  SUDO=(sudo -n)
  "${SUDO[@]}" true 2>/dev/null ||
    fail "sudo needs a password; run 'sudo $0' or install: ${missing[*]}"
fi

LOG=$(mktemp -t tb-install-deps.XXXXXX.log)
trap 'rm -f "$LOG"' EXIT
run_apt() {
  if [[ "${TB_DEPS_VERBOSE:-0}" == 1 ]]; then
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@" 2>&1 | tee -a "$LOG"
    return "${PIPESTATUS[0]}"
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@" >>"$LOG" 2>&1
}

say "installing ${#missing[@]} package(s): ${missing[*]}"
if ! run_apt apt-get update -q; then
  tail -n 30 "$LOG" >&2
  fail "apt-get update failed (no network to the Debian mirror?)"
fi
if ! run_apt apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"; then
  tail -n 40 "$LOG" >&2
  fail "apt-get install failed for: ${missing[*]}"
fi

still=()
for p in "${missing[@]}"; do
  installed "$p" || still+=("$p")
done
[[ ${#still[@]} -eq 0 ]] || fail "still not installed after apt-get: ${still[*]}"
say "installed: ${missing[*]}"
