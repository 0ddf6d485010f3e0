// Medplum's side of bench/validator_bench.cc: validateResource from @medplum/core (tests/peers,
// `npm ci` there) over the same resources, given the same R4 definitions (the StructureDefinitions
// of the R4 core package, as trialbridge embeds them), on one thread and on THREADS worker
// threads. Prints one JSON object: resources/s, start-up time, peak memory, error counts.
//
// Usage: node bench/validator_bench.mjs DEFINITIONS.json RESOURCES.ndjson [SECONDS] [THREADS]
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const peers = process.env.TB_PEERS_DIR || path.join(here, '..', 'tests', 'peers');
const require = createRequire(path.join(peers, 'package.json'));
const medplum = require('@medplum/core');
const version = JSON.parse(fs.readFileSync(path.join(peers, 'node_modules', '@medplum', 'core', 'package.json'), 'utf8')).version;

// Indexes the definitions one by one: Medplum refuses a few of the R4 core's constraint profiles
// (e.g. clinicaldocument: "Invalid slice start before discriminator"), which it does not need to
// validate against the base types.
let skipped = 0;
function load(definitionsFile) {
  const t0 = process.hrtime.bigint();
  const bundle = JSON.parse(fs.readFileSync(definitionsFile, 'utf8'));
  for (const entry of bundle.entry) {
    try {
      medplum.indexStructureDefinitionBundle([entry.resource]);
    } catch (e) {
      skipped++;
    }
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function validateAll(resources, seconds) {
  let n = 0;
  let errors = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (const r of resources) {
      try {
        medplum.validateResource(r);
      } catch (e) {
        errors++;
      }
      n++;
    }
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (elapsed < seconds);
  return { n, errors, elapsed };
}

if (!isMainThread) {
  const { definitions, resourcesFile, seconds } = workerData;
  load(definitions);
  const resources = fs.readFileSync(resourcesFile, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l));
  validateAll(resources.slice(0, 50), 0);  // warm-up
  parentPort.postMessage('ready');
  parentPort.once('message', () => {
    const r = validateAll(resources, seconds);
    parentPort.postMessage(r);
  });
} else {
  const [definitions, resourcesFile, secondsArg, threadsArg] = process.argv.slice(2);
  const seconds = Number(secondsArg || 3);
  const threads = Number(threadsArg || 2);
  // Start-up: load the definitions and validate one small resource.
  const t0 = process.hrtime.bigint();
  const loadMs = load(definitions);
  const resources = fs.readFileSync(resourcesFile, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l));
  const small = { resourceType: 'Patient', id: 'example', gender: 'female', birthDate: '1990-02-28' };
  try {
    medplum.validateResource(small);
  } catch (e) {
    // counted below
  }
  const startupMs = Number(process.hrtime.bigint() - t0) / 1e6;

  // Which resources Medplum rejects (one pass), then the timed single-thread run.
  let rejected = 0;
  for (const r of resources) {
    try {
      medplum.validateResource(r);
    } catch (e) {
      rejected++;
    }
  }
  const one = validateAll(resources, seconds);

  // THREADS workers, each over all resources, started together.
  const workers = [];
  for (let i = 0; i < threads; i++) {
    workers.push(new Worker(fileURLToPath(import.meta.url), {
      workerData: { definitions, resourcesFile, seconds },
    }));
  }
  await Promise.all(workers.map((w) => new Promise((res) => w.once('message', res))));
  const t1 = process.hrtime.bigint();
  const results = await Promise.all(workers.map((w) => {
    const p = new Promise((res) => w.once('message', res));
    w.postMessage('go');
    return p;
  }));
  const wall = Number(process.hrtime.bigint() - t1) / 1e9;
  for (const w of workers) w.terminate();
  const total = results.reduce((a, r) => a + r.n, 0);

  process.stdout.write(JSON.stringify({
    validator: `@medplum/core ${version} validateResource`,
    node: process.version,
    resources: resources.length,
    definitionsSkipped: skipped,
    rejected,
    loadMs,
    startupMs,
    perSecond1: one.n / one.elapsed,
    perSecondN: total / wall,
    threads,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  }) + '\n');
}
