#!/usr/bin/env bash
# Scale-out throughput (docs/scaling.md): 1, 2 and 3 `trialbridge serve` nodes on one PostgreSQL
# database (a throwaway cluster with fsync on, loopback, distinct ports), each node loaded by two
# REST writers (creates with an Idempotency-Key, a third of them conditional) and one MLLP sender
# for SECONDS, then the same with 6 writers and 3 senders in all for every node count (so that
# the nodes, not the clients, are what changes); after each run everything is resent to another
# node and checked (nothing lost or doubled).
# It is the multi-node test of the test command (tests/service/multi_node_test.cc), run longer.
# Prints the acknowledged writes and messages per second for each node count.
#
#   bench/multi_node.sh [BUILD_DIR] [SECONDS] [COUNTS]     defaults: build, 10, 1,2,3
set -euo pipefail
build=${1:-build}
seconds=${2:-10}
counts=${3:-1,2,3}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -x $build/tests/service/multi_node_tests ]] || {
  echo "multi_node.sh: build multi_node_tests first (cmake --build $build --target multi_node_tests)" >&2
  exit 2
}
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
run() {
  TB_MULTI_NODE_FSYNC=1 TB_MULTI_NODE_SECONDS=$seconds TB_MULTI_NODE_COUNTS=$counts "$@" \
    "$build/tests/service/multi_node_tests" | grep -E '^[0-9]+ nodes,|FAILED|PASSED'
}
echo "clients grow with the nodes (two writers and one sender a node):"
run env
echo "the same clients for every node count (6 writers, 3 senders):"
run env TB_MULTI_NODE_WRITERS=6 TB_MULTI_NODE_SENDERS=3
