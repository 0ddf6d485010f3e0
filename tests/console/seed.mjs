// Test data for the console test, written through the REST API like any client would: the sample
// subjects and adverse events of the reference trial (from `trialbridge map`), platelet counts
// and doses of subject ITP-0001, draft adverse events, and a generated load of subjects with weekly
// results (40 subjects x two years by default).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';

export const kStudy = 'ResearchStudy/nct06813157';
const kSd = 'http://trialbridge.org/fhir/StructureDefinition/';

export async function rest(base, method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: { Accept: 'application/fhir+json', ...(body ? { 'Content-Type': 'application/fhir+json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  const json = text ? JSON.parse(text) : null;
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 600)}`);
  return json;
}

export async function transaction(base, resources, method = 'PUT') {
  const entry = resources.map((r) => ({ resource: r, request: { method, url: method === 'PUT' ? `${r.resourceType}/${r.id}` : r.resourceType } }));
  return rest(base, 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry });
}

export function platelet(patientRef, when, value) {
  return {
    resourceType: 'Observation',
    meta: { profile: [`${kSd}tb-observation`] },
    extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/workflow-researchStudy', valueReference: { reference: kStudy } }],
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '777-3', display: 'Platelets [#/volume] in Blood by Automated count' }], text: 'Platelet count' },
    subject: { reference: patientRef },
    effectiveDateTime: when,
    valueQuantity: { value, unit: '10*9/L', system: 'http://unitsofmeasure.org', code: '10*9/L' },
  };
}

export function draftAe(id, patientRef, event, date, gradeCode) {
  return {
    resourceType: 'AdverseEvent', id,
    meta: { profile: [`${kSd}tb-adverse-event`] },
    identifier: { system: 'http://trialbridge.org/fhir/trials/nct06813157/adverse-event-id', value: id.toUpperCase() },
    extension: [{ url: `${kSd}tb-ctcae-grade`, valueCodeableConcept: { coding: [{ system: 'http://trialbridge.org/fhir/CodeSystem/tb-ctcae-grade', code: gradeCode }] } }],
    actuality: 'potential',
    event: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/mdr', code: '10001551', display: 'Alanine aminotransferase increased' }], text: event },
    subject: { reference: patientRef },
    date,
    severity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/adverse-event-severity', code: gradeCode >= '3' ? 'severe' : 'moderate' }] },
    suspectEntity: [{ instance: { reference: 'Medication/nct06813157-med-msc' } }],
    study: [{ reference: kStudy }],
  };
}

// ITP-0001's counts: weekly from its baseline, through the doses, a response reached.
export const kItp1 = 'Patient/nct06813157-pt-ITP-0001';
export const kItp1Counts = [[`2025-02-03T08:15:00Z`, 22], [`2025-02-10T08:00:00Z`, 18], [`2025-02-17T08:00:00Z`, 25],
  [`2025-02-24T08:00:00Z`, 31], [`2025-03-03T08:00:00Z`, 48], [`2025-03-10T08:00:00Z`, 64], [`2025-03-17T08:00:00Z`, 90],
  [`2025-03-24T08:00:00Z`, 112], [`2025-03-31T08:00:00Z`, 131], [`2025-04-07T08:00:00Z`, 97], [`2025-04-14T08:00:00Z`, 141]];

export async function seedSamples(base, trialbridge, source) {
  const out = execFileSync(trialbridge, ['map', '--trial', `${source}/samples/trials/NCT06813157.json`,
    '--secret-file', `${source}/samples/entities/demo.secret`,
    `${source}/samples/entities/nct06813157-subject-itp-0001.json`, `${source}/samples/entities/nct06813157-subject-itp-0002.json`,
    `${source}/samples/entities/nct06813157-subject-itp-0003.json`, `${source}/samples/entities/nct06813157-ae-itp-0001-01.json`,
    `${source}/samples/entities/nct06813157-ae-itp-0003-01.json`, `${source}/samples/entities/nct06813157-ae-itp-0003-02.json`]);
  const bundle = JSON.parse(out);
  // The subjects with their doses (MedicationAdministration with tb-timepoint) and AEs.
  const keep = new Set(['Patient', 'Consent', 'ResearchSubject', 'MedicationAdministration', 'AdverseEvent']);
  await transaction(base, bundle.entry.map((e) => e.resource).filter((r) => keep.has(r.resourceType)));
  await transaction(base, kItp1Counts.map(([t, v]) => platelet(kItp1, t, v)), 'POST');
  await transaction(base, [
    draftAe('draft-alt-0001', kItp1, 'ALT 186 U/L = 4.65 x ULN', '2025-03-10', '2'),
    draftAe('draft-alt-0002', kItp1, 'ALT 250 U/L = 6.25 x ULN', '2025-03-17', '3'),
  ]);
  return bundle;
}

// `subjects` generated subjects, each with `weeks` weekly platelet counts.
export async function seedLoad(base, subjects, weeks) {
  const ref = (await rest(base, 'GET', '/Patient/nct06813157-pt-ITP-0001'));
  const rs = (await rest(base, 'GET', '/ResearchSubject/nct06813157-rs-ITP-0001'));
  for (let i = 1; i <= subjects; ++i) {
    const n = String(i).padStart(3, '0');
    const patient = { ...ref, id: `gen-pt-${n}`, meta: { profile: ref.meta.profile }, identifier: [{ ...ref.identifier[0], value: createHash('sha256').update(`generated-${n}`).digest('hex') }] };
    const subject = { ...rs, id: `gen-rs-${n}`, meta: { profile: rs.meta.profile }, extension: undefined, consent: undefined, individual: { reference: `Patient/gen-pt-${n}` },
      identifier: [{ ...rs.identifier[0], value: `GEN-${n}` }], status: i % 5 === 0 ? 'follow-up' : 'on-study-intervention' };
    delete patient.text; delete subject.text;
    const obs = [];
    for (let w = 0; w < weeks; ++w) {
      const t = new Date(Date.UTC(2024, 0, 1 + 7 * w, 8)).toISOString();
      obs.push(platelet(`Patient/gen-pt-${n}`, t, Math.round(20 + 120 * Math.abs(Math.sin((w + i) / 9)))));
    }
    await transaction(base, [patient, subject]);
    await transaction(base, obs, 'POST');
  }
}
