#!/usr/bin/env bash
# The generated bash completion (deploy/completion/trialbridge.bash) works in bash: commands,
# options, choices of an option's value, file names where a file is expected, nothing where none is.
set -u
script=$1
# shellcheck source=/dev/null
source "$script" || { echo "cannot source $script"; exit 1; }
fails=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
touch "$dir/trial.json" "$dir/two.json"
cd "$dir" || exit 1

# complete WORDS... -> the sorted COMPREPLY for the last word.
complete_words() {
  COMP_WORDS=(trialbridge "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _trialbridge
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() {  # EXPECTED WORDS...
  local want=$1
  shift
  local got
  got=$(complete_words "$@")
  if [[ $got != "$want" ]]; then
    echo "FAIL: trialbridge $* -> '$got', expected '$want'"
    fails=$((fails + 1))
  fi
}

expect "validate" "val"
expect "serve" "se"
expect "--help --version" "--"
expect "--format" validate --fo
expect "json text" validate --format ""
expect "json" convert --to j
expect "--check-config --config" serve --c
expect "trial.json two.json" map --trial ""
expect "trial.json two.json" validate ""
expect "" validate --profile ""
expect "" fhirpath ""
expect "bash" help --completion ""
[[ $fails == 0 ]] && echo "bash completion: all cases pass"
exit $((fails > 0))
