// fhirpath.js side of bench/fhirpath_bench.cc: evaluates the same invariants on the same
// resources and reports evaluations per second and each evaluation's outcome.
//
// Usage: node bench/fhirpath_bench.js WORKLOAD.json [SECONDS]
//   WORKLOAD.json is written by fhirpath_bench: {"resources": [JSON text...],
//   "checks": [{"r": resource index, "path": "Patient.contact", "expr": "..."}]}.
// fhirpath.js comes from tests/peers (npm ci there), or TB_PEERS_DIR.
'use strict';
const fs = require('fs');
const path = require('path');

const peers = process.env.TB_PEERS_DIR || path.join(__dirname, '..', 'tests', 'peers');
const fhirpath = require(path.join(peers, 'node_modules', 'fhirpath'));
const r4 = require(path.join(peers, 'node_modules', 'fhirpath', 'fhir-context', 'r4'));
const version = require(path.join(peers, 'node_modules', 'fhirpath', 'package.json')).version;

const workload = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const seconds = Number(process.argv[3] || 3);

const resources = workload.resources.map((t) => JSON.parse(t));
const compiled = new Map();
// trace() would print to stdout; both engines are measured without trace output.
const noTrace = () => {};
let compileErrors = 0;
const items = [];  // {fn, nodes, env, check}
for (let i = 0; i < workload.checks.length; i++) {
  const c = workload.checks[i];
  const resource = resources[c.r];
  const env = {resource, rootResource: resource};
  let fn = compiled.get(c.expr);
  if (fn === undefined) {
    try {
      fn = fhirpath.compile(c.expr, r4, {traceFn: noTrace});
    } catch (e) {
      fn = null;
      compileErrors++;
    }
    compiled.set(c.expr, fn);
  }
  let nodes = [];
  try {
    nodes = fhirpath.evaluate(resource, c.path, env, r4, {resolveInternalTypes: false, traceFn: noTrace});
  } catch (e) {
    nodes = [];
  }
  items.push({fn, nodes, env, check: i});
}

function outcome(r) {
  if (r.length === 0) return 'E';
  if (r.length === 1 && r[0] === true) return 'T';
  if (r.length === 1 && r[0] === false) return 'F';
  return 'M';
}

// First pass: outcomes (also the warm-up).
const perCheck = [];
let evaluations = 0;
for (const it of items) {
  let s = '';
  for (const node of it.nodes) {
    if (it.fn === null) {
      s += 'X';
      continue;
    }
    try {
      s += outcome(it.fn(node, it.env));
    } catch (e) {
      s += 'X';
    }
    evaluations++;
  }
  perCheck.push(s);
}

// Timed passes.
let passes = 0;
let total = 0;
const start = process.hrtime.bigint();
let elapsed = 0;
do {
  for (const it of items) {
    if (it.fn === null) continue;
    for (const node of it.nodes) {
      try {
        it.fn(node, it.env);
      } catch (e) {
        // counted in the outcomes above
      }
      total++;
    }
  }
  passes++;
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
} while (elapsed < seconds);

process.stdout.write(JSON.stringify({
  engine: 'fhirpath.js ' + version,
  node: process.version,
  evaluationsPerPass: evaluations,
  passes,
  seconds: elapsed,
  evaluationsPerSecond: total / elapsed,
  compileErrors,
  outcomes: perCheck,
}) + '\n');
