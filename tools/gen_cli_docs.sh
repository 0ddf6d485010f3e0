#!/usr/bin/env bash
# Writes the files generated from trialbridge's own help texts and option tables:
#   docs/trialbridge.1                   the man page         (trialbridge help --man)
#   deploy/completion/trialbridge.bash   the bash completion  (trialbridge help --completion bash)
# The packaging installs both; ctest cli.generated_docs runs this with --check.
#
#   tools/gen_cli_docs.sh [BINARY]            write them (default binary: build/adapter/cli/trialbridge)
#   tools/gen_cli_docs.sh --check [BINARY]    change nothing; exit 1 and show the difference when
#                                             a file is not what the binary prints
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
check=0
if [[ ${1:-} == --check ]]; then
  check=1
  shift
fi
bin=${1:-$root/build/adapter/cli/trialbridge}
[[ -x $bin ]] || { echo "gen_cli_docs: no trialbridge binary at $bin (build it first)" >&2; exit 2; }

status=0
generate() {  # FILE ARGS...
  local file=$1
  shift
  local tmp
  tmp=$(mktemp)
  "$bin" "$@" >"$tmp"
  if [[ $check == 1 ]]; then
    if ! diff -u "$root/$file" "$tmp"; then
      echo "gen_cli_docs: $file is not current; run tools/gen_cli_docs.sh" >&2
      status=1
    fi
    rm -f "$tmp"
  else
    mv "$tmp" "$root/$file"
    chmod 644 "$root/$file"
  fi
}
generate docs/trialbridge.1 help --man
generate deploy/completion/trialbridge.bash help --completion bash
exit $status
