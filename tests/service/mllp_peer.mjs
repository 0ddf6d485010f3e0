// Sends HL7 v2 messages to an MLLP listener with @medplum/hl7's Hl7Client (tests/peers/) and
// prints one line per message: its file, its control id and the ACK's MSA-1. Exit status 0 when
// every message was answered, whatever the code (mllp_test.cc checks the codes).
//
//   node mllp_peer.mjs PORT PEERS_DIR FILE...
// A file holds one message (segments ended by CR, LF or CR LF); one that declares ISO 8859-1 in
// MSH-18 is read and sent as ISO 8859-1, the others as UTF-8.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [port, peers, ...files] = process.argv.slice(2);
const require = createRequire(peers + '/package.json');
const { Hl7Client } = require('@medplum/hl7');
const { Hl7Message } = require('@medplum/core');

async function send(file) {
  const raw = readFileSync(file);
  const latin1 = raw.toString('latin1').includes('8859/1');
  const encoding = latin1 ? 'latin1' : 'utf-8';
  const text = raw.toString(latin1 ? 'latin1' : 'utf8').replace(/\r\n|\n/g, '\r').replace(/\r+$/, '');
  const message = Hl7Message.parse(text);
  const client = new Hl7Client({ host: '127.0.0.1', port: Number(port), encoding });
  try {
    const ack = await client.sendAndWait(message, { timeoutMs: 20000 });
    const msa = ack.getSegment('MSA');
    const control = message.getSegment('MSH').getField(10).toString();
    console.log(`${file} ${control} ${msa ? msa.getField(1).toString() : 'no-MSA'}`);
  } finally {
    await client.close();
  }
}

let failed = false;
for (const file of files) {
  try {
    await send(file);
  } catch (err) {
    failed = true;
    console.log(`${file} error ${err && err.message ? err.message : err}`);
  }
}
process.exit(failed ? 1 : 0);
