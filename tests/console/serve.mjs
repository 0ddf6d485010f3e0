// `trialbridge serve` for the console's test and bench (tests/console/console_test.mjs,
// bench/console_pages.mjs): started on free ports with the reference trial, stopped, and HL7 v2
// messages sent to its MLLP listener.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// `trialbridge serve` in `dir` (a new one by default) with the reference trial, its secret unless
// `secret` is false, and `extra` arguments; {child, dir, base (the FHIR base), root, mllp}.
export async function startServer({ trialbridge, source, dir = mkdtempSync(join(tmpdir(), 'tb-console-serve-')), secret = true, extra = [] }) {
  const child = spawn(resolve(trialbridge), ['serve', '--port', '0', '--mllp-port', '0',
    ...(secret ? ['--secret-file', join(source, 'samples/entities/demo.secret')] : []),
    '--trial', join(source, 'samples/trials/NCT06813157.json'), ...extra],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let errText = '';
  child.stderr.on('data', (d) => { errText += d; });
  let mllp = null;
  const base = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${errText}`)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const p = /MLLP on ([\d.]+):(\d+)/.exec(out);
      if (p) mllp = { host: p[1], port: Number(p[2]) };
      const m = /FHIR base (http:\/\/\S+)/.exec(out);
      // Both lines: the FHIR base and the MLLP port (they may come in separate reads).
      if (m && mllp) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${errText}`)));
  });
  return { child, dir, base, mllp, root: base.replace(/\/fhir$/, '') };
}

// Sends each message in its own MLLP frame and waits for its ACK; returns the ACK codes (MSA-1).
export async function sendMllp({ host, port }, messages) {
  const socket = connect(port, host);
  await new Promise((r, j) => { socket.once('connect', r); socket.once('error', j); });
  const acks = [];
  let buffer = Buffer.alloc(0);
  for (const m of messages) {
    const ack = new Promise((r) => {
      const onData = (d) => {
        buffer = Buffer.concat([buffer, d]);
        const end = buffer.indexOf(Buffer.from([0x1c, 0x0d]));
        if (end < 0) return;
        const frame = buffer.subarray(1, end).toString('latin1');
        buffer = buffer.subarray(end + 2);
        socket.off('data', onData);
        r(/MSA\|([A-Z]{2})/.exec(frame)?.[1] || '?');
      };
      socket.on('data', onData);
    });
    socket.write(Buffer.concat([Buffer.from([0x0b]), m, Buffer.from([0x1c, 0x0d])]));
    acks.push(await ack);
  }
  socket.end();
  return acks;
}

export async function stopServer(server, remove = true) {
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.on('exit', r));
  if (remove) rmSync(server.dir, { recursive: true, force: true });
}
