#!/usr/bin/env bash
# Formats the project's C++ with clang-format-14 and .clang-format (Google style, 100 columns).
#
#   deploy/format.sh            reformat every file in place
#   deploy/format.sh --check    change nothing; list the files that are not formatted and exit 1
#                               (deploy/test.sh runs this)
#   deploy/format.sh FILE...    reformat only these files
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CLANG_FORMAT=${CLANG_FORMAT:-clang-format-14}
command -v "$CLANG_FORMAT" >/dev/null || {
  echo "format.sh: $CLANG_FORMAT is missing (deploy/install-deps.sh installs it)" >&2
  exit 2
}

check=0
if [[ ${1:-} == --check ]]; then
  check=1
  shift
fi
files=("$@")
if [[ ${#files[@]} -eq 0 ]]; then
  mapfile -t files < <(find adapter tests bench fuzz -type f \( -name '*.cc' -o -name '*.h' \) \
    -not -path '*/node_modules/*' -not -path 'tests/data/*' 2>/dev/null | sort)
fi
[[ ${#files[@]} -gt 0 ]] || exit 0

if [[ $check == 0 ]]; then
  "$CLANG_FORMAT" -i "${files[@]}"
  exit 0
fi

bad=()
for f in "${files[@]}"; do
  "$CLANG_FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [[ ${#bad[@]} -eq 0 ]]; then
  echo "format: ${#files[@]} files formatted"
  exit 0
fi
echo "format: ${#bad[@]} of ${#files[@]} files are not clang-formatted:"
for f in "${bad[@]}"; do
  echo "  $f ($("$CLANG_FORMAT" --dry-run "$f" 2>&1 | grep -c 'warning\|error') places; first:" \
    "$("$CLANG_FORMAT" --dry-run "$f" 2>&1 | grep -m1 -oE '^[^ ]+:[0-9]+:[0-9]+'))"
done
echo "fix with: deploy/format.sh FILE... (or deploy/format.sh for every file)"
exit 1
