// Drives a running trialbridge server with fhir-kit-client (a FHIR client written by others):
// create, read, update, search, history and a transaction. Run by fhir_kit_client_test.cc as
//   node fhir_kit_client.mjs BASE_URL PEERS_DIR
// and prints "ok" when every check passed; any failure exits non-zero with the reason.
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [baseUrl, peers] = process.argv.slice(2);
const { Client } = await import(
  pathToFileURL(path.join(peers, 'node_modules/fhir-kit-client/dist/index.js')).href);
const client = new Client({ baseUrl });

const capability = await client.capabilityStatement();
assert.equal(capability.resourceType, 'CapabilityStatement');
assert.equal(capability.fhirVersion, '4.0.1');

const created = await client.create({
  resourceType: 'Patient',
  body: {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:mrn', value: 'FKC-1' }],
    name: [{ family: 'Kit', given: ['Client'] }],
    gender: 'female',
  },
});
assert.equal(created.resourceType, 'Patient');
assert.ok(created.id);
assert.equal(created.meta.versionId, '1');

const read = await client.read({ resourceType: 'Patient', id: created.id });
assert.equal(read.name[0].family, 'Kit');

read.gender = 'other';
const updated = await client.update({ resourceType: 'Patient', id: created.id, body: read });
assert.equal(updated.meta.versionId, '2');
assert.equal(updated.gender, 'other');

const v1 = await client.vread({ resourceType: 'Patient', id: created.id, version: '1' });
assert.equal(v1.gender, 'female');

const found = await client.search({
  resourceType: 'Patient',
  searchParams: { identifier: 'urn:mrn|FKC-1' },
});
assert.equal(found.resourceType, 'Bundle');
assert.equal(found.type, 'searchset');
assert.equal(found.total, 1);
assert.equal(found.entry[0].resource.id, created.id);

const history = await client.history({ resourceType: 'Patient', id: created.id });
assert.equal(history.type, 'history');
assert.equal(history.total, 2);
assert.equal(history.entry[0].resource.meta.versionId, '2');

const tx = await client.transaction({
  body: {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0',
        resource: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'FKC-2' }] },
        request: { method: 'POST', url: 'Patient' },
      },
      {
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '777-3' }] },
          subject: { reference: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0' },
          valueQuantity: { value: 42, system: 'http://unitsofmeasure.org', code: '10*9/L' },
        },
        request: { method: 'POST', url: 'Observation' },
      },
    ],
  },
});
assert.equal(tx.type, 'transaction-response');
assert.equal(tx.entry.length, 2);
assert.match(tx.entry[0].response.status, /^201/);
const patientId = tx.entry[0].resource.id;
assert.equal(tx.entry[1].resource.subject.reference, `Patient/${patientId}`);

const observations = await client.search({
  resourceType: 'Observation',
  searchParams: { 'subject:Patient.identifier': 'urn:mrn|FKC-2', _include: 'Observation:subject' },
});
assert.equal(observations.total, 1);
assert.equal(observations.entry.length, 2);

// Paging through fhir-kit-client's own nextPage().
for (let i = 0; i < 3; i += 1) {
  await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', gender: 'male' } });
}
const page1 = await client.search({ resourceType: 'Patient', searchParams: { gender: 'male', _count: 2 } });
assert.equal(page1.entry.length, 2);
const page2 = await client.nextPage({ bundle: page1 });
assert.equal(page2.entry.length, 1);

await client.delete({ resourceType: 'Patient', id: created.id });
await assert.rejects(client.read({ resourceType: 'Patient', id: created.id }),
  (e) => e.response && e.response.status === 410);

console.log('ok');
