// Reads what the study context stored back from a running trialbridge server with
// fhir-kit-client (a FHIR client written by others) and validates each resource against its
// trial profile with $validate. Run by study_end_to_end_test.cc as
//   node study_readback.mjs BASE_URL PEERS_DIR
// It prints one line of counts as JSON ({"observations":..,"responses":..,"drafts":..,
// "validated":..,"ids":[..]}) and then "ok"; any failure exits non-zero with the reason.
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [baseUrl, peers] = process.argv.slice(2);
const { Client } = await import(
  pathToFileURL(path.join(peers, 'node_modules/fhir-kit-client/dist/index.js')).href);
const client = new Client({ baseUrl });
const kProfiles = 'http://trialbridge.org/fhir/StructureDefinition/';

// Every resource of a type, through the server's paging links.
async function all(resourceType) {
  const out = [];
  let page = await client.search({ resourceType, searchParams: { _count: 50 } });
  while (page) {
    for (const e of page.entry ?? []) out.push(e.resource);
    page = await client.nextPage({ bundle: page });
  }
  return out;
}

// $validate against the resource's trial profile: no error or fatal issue.
async function validate(resource) {
  const profile = (resource.meta?.profile ?? []).find((p) => p.startsWith(kProfiles));
  assert.ok(profile, `${resource.resourceType}/${resource.id} has no trial profile`);
  const outcome = await client.operation({
    name: '$validate',
    resourceType: resource.resourceType,
    input: {
      resourceType: 'Parameters',
      parameter: [{ name: 'resource', resource }, { name: 'profile', valueUri: profile }],
    },
  });
  const errors = (outcome.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');
  assert.deepEqual(errors, [], `${resource.resourceType}/${resource.id} against ${profile}`);
}

const observations = await all('Observation');
const drafts = await all('AdverseEvent');
let responses = 0;
for (const o of observations) {
  // Pseudonymous: the subject's Patient of the trial, never the hospital's.
  assert.match(o.subject?.reference ?? '', /^Patient\/nct06813157-pt-/, `Observation/${o.id}`);
  if (o.id.startsWith('tbresp-')) {
    responses++;
    assert.ok(o.valueCodeableConcept?.coding?.[0]?.code, `Observation/${o.id} has no response`);
    assert.ok(o.derivedFrom?.length, `Observation/${o.id} names no source count`);
  }
  await validate(o);
}
for (const a of drafts) {
  assert.equal(a.actuality, 'potential', `AdverseEvent/${a.id}`);
  assert.match(a.subject?.reference ?? '', /^Patient\/nct06813157-pt-/, `AdverseEvent/${a.id}`);
  await validate(a);
}
console.log(JSON.stringify({
  observations: observations.length - responses,
  responses,
  drafts: drafts.length,
  validated: observations.length + drafts.length,
  ids: observations.map((o) => o.id),
}));
console.log('ok');
