// Medplum's side of bench/v2_bench.cc: @medplum/core's Hl7Message.parse (tests/peers, `npm ci`
// there) over the same HL7 v2 messages, for at least SECONDS on one thread. Prints one JSON
// object: messages/s, MB/s, the number of messages it refused, the versions.
//
// Usage: node bench/v2_bench.mjs MESSAGES.ndjson [SECONDS]
//   (MESSAGES.ndjson: one JSON string a line, each a whole message)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const peers = process.env.TB_PEERS_DIR || path.join(here, '..', 'tests', 'peers');
const require = createRequire(path.join(peers, 'package.json'));
const { Hl7Message } = require('@medplum/core');
const version = JSON.parse(fs.readFileSync(path.join(peers, 'node_modules', '@medplum', 'core', 'package.json'), 'utf8')).version;

const messages = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l));
const seconds = Number(process.argv[3] || 3);
const bytes = messages.reduce((n, m) => n + Buffer.byteLength(m, 'utf8'), 0);

let refused = 0;
let sink = 0;
function once() {
  for (const m of messages) {
    try {
      sink += Hl7Message.parse(m).segments.length;
    } catch (e) {
      refused++;
    }
  }
}
for (let i = 0; i < 200; i++) once();  // warm-up: let the JIT compile
refused = 0;
let rounds = 0;
const t0 = process.hrtime.bigint();
let elapsed = 0;
do {
  once();
  rounds++;
  elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
} while (elapsed < seconds);
console.log(JSON.stringify({
  perSecond: (rounds * messages.length) / elapsed,
  mbPerSecond: (rounds * bytes) / elapsed / 1e6,
  refused: refused / rounds,
  medplum: version,
  node: process.version,
  sink,
}));
