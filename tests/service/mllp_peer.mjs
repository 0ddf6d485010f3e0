// Sends HL7 v2 messages to an MLLP listener with an MLLP client written by others, installed in
// tests/peers/: @medplum/hl7's Hl7Client ("medplum") or node-hl7-client's Client
// ("node-hl7-client"). Prints one line per message: its file, its control id and the ACK's MSA-1.
// Exit status 0 when every message was answered, whatever the code (mllp_peers_test.cc checks the
// codes).
//
//   node mllp_peer.mjs CLIENT PORT PEERS_DIR FILE...
// A file holds one message (segments ended by CR, LF or CR LF); one that declares ISO 8859-1 in
// MSH-18 is read and sent as ISO 8859-1, the others as UTF-8. Each message goes on a connection of
// its own, and the next is sent only after the ACK of the one before.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const [client, port, peers, ...files] = process.argv.slice(2);
const require = createRequire(resolve(peers, 'package.json'));
const kTimeoutMs = 20000;

function readMessage(file) {
  const raw = readFileSync(file);
  const latin1 = raw.toString('latin1').includes('8859/1');
  const text = raw
    .toString(latin1 ? 'latin1' : 'utf8')
    .replace(/\r\n|\n/g, '\r')
    .replace(/\r+$/, '');
  return { text, encoding: latin1 ? 'latin1' : 'utf-8' };
}

// Each returns [control id, MSA-1] for one message.
async function sendMedplum({ text, encoding }) {
  const { Hl7Client } = require('@medplum/hl7');
  const { Hl7Message } = require('@medplum/core');
  const message = Hl7Message.parse(text);
  const hl7 = new Hl7Client({ host: '127.0.0.1', port: Number(port), encoding });
  try {
    const ack = await hl7.sendAndWait(message, { timeoutMs: kTimeoutMs });
    const msa = ack.getSegment('MSA');
    const control = message.getSegment('MSH').getField(10).toString();
    return [control, msa ? msa.getField(1).toString() : 'no-MSA'];
  } finally {
    await hl7.close();
  }
}

async function sendNodeHl7Client({ text, encoding }) {
  const { Client, Message } = require('node-hl7-client');
  const message = new Message({ text });
  const hl7 = new Client({ host: '127.0.0.1' });
  let connection;
  let timer;
  try {
    const ack = await new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error('no ACK in time')), kTimeoutMs);
      connection = hl7.createConnection(
        { port: Number(port), encoding, maxConnectionAttempts: 1 },
        (res) => resolve(res.getMessage()),
      );
      connection.on('client.error', reject);
      connection.on('connect', () => connection.sendMessage(message).catch(reject));
    });
    return [message.get('MSH.10').toString(), ack.get('MSA.1').toString() || 'no-MSA'];
  } finally {
    clearTimeout(timer);
    if (connection) await connection.close();
  }
}

const senders = { medplum: sendMedplum, 'node-hl7-client': sendNodeHl7Client };
const send = senders[client];
if (!send) {
  console.log(`unknown client ${client}: one of ${Object.keys(senders).join(', ')}`);
  process.exit(2);
}
let failed = false;
for (const file of files) {
  try {
    const [control, code] = await send(readMessage(file));
    console.log(`${file} ${control} ${code}`);
  } catch (err) {
    failed = true;
    console.log(`${file} error ${err && err.message ? err.message : err}`);
  }
}
process.exit(failed ? 1 : 0);
