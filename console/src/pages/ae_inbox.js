// The draft adverse-event inbox: AdverseEvents with actuality `potential` that the study context
// proposed. Confirm (actuality `actual`, with seriousness and relatedness) or reject (the draft is
// deleted; its versions stay in the history) with a reason. Each decision is one FHIR transaction:
// the change and a Provenance that records who-did-what-why, so both or neither are stored; the
// server audits it (AuditEvent) like any write.
import { fhir, read, searchAll } from '../fhir.js';
import { badge, errorBox, fmtDate, h, page, say, section, table } from '../ui.js';
import { byPatient, grade, relatedness, subjectLabel } from './common.js';

const kSeriousness = 'http://terminology.hl7.org/CodeSystem/adverse-event-seriousness';
const kSerious = [['Non-serious', 'Not serious'], ['Serious', 'Serious'],
  ['SeriousResultsInDeath', 'Serious: results in death'], ['SeriousIsLifeThreatening', 'Serious: life-threatening'],
  ['SeriousResultsInHospitalization', 'Serious: requires or prolongs hospitalization'],
  ['SeriousResultsInPersistentDisability', 'Serious: persistent or significant disability'],
  ['SeriousIsBirthDefect', 'Serious: congenital anomaly or birth defect'],
  ['SeriousRequiresPreventImpairment', 'Serious: intervention needed to prevent impairment']];
const kRelatedness = 'http://trialbridge.org/fhir/CodeSystem/tb-ae-relatedness';
const kRelated = [['related', 'Related'], ['probably-related', 'Probably related'], ['possibly-related', 'Possibly related'],
  ['unlikely-related', 'Unlikely related'], ['not-related', 'Not related'], ['unassessable', 'Unassessable']];
const kOutcome = 'http://terminology.hl7.org/CodeSystem/adverse-event-outcome';
const kOutcomes = [['ongoing', 'Ongoing'], ['recovering', 'Recovering'], ['resolved', 'Resolved'],
  ['resolvedWithSequelae', 'Resolved with sequelae'], ['fatal', 'Fatal'], ['unknown', 'Unknown']];
const kProduct = { related: 'related', 'probably-related': 'related', 'possibly-related': 'related' };

function provenance(ae, activity, reason) {
  return {
    resourceType: 'Provenance',
    target: [{ reference: `AdverseEvent/${ae.id}` }],
    recorded: new Date().toISOString(),
    activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: activity === 'confirm' ? 'UPDATE' : 'DELETE' }],
      text: activity === 'confirm' ? 'draft adverse event confirmed in the web console' : 'draft adverse event rejected in the web console' },
    reason: reason ? [{ text: reason }] : undefined,
    agent: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'verifier' }] }, who: { display: 'web console user (the bearer token names the client)' } }],
  };
}

async function transaction(entries) {
  return fhir('POST', '', { body: { resourceType: 'Bundle', type: 'transaction', entry: entries } });
}

// Confirms a draft: the stored version (If-Match) becomes actual, with the investigator's answers.
export async function confirm(id, { serious, related, outcome, note }) {
  const ae = await read('AdverseEvent', id);
  ae.actuality = 'actual';
  ae.seriousness = { coding: [{ system: kSeriousness, code: serious }] };
  ae.outcome = { coding: [{ system: kOutcome, code: outcome }] };
  const relatedCode = related;
  const causality = [{ assessment: { coding: [{ system: kRelatedness, code: relatedCode }], text: `${kRelated.find((r) => r[0] === relatedCode)?.[1]} (assessed by the investigator)` },
    productRelatedness: kProduct[relatedCode] || 'not-related' }];
  if (ae.suspectEntity?.length) {
    for (const s of ae.suspectEntity) s.causality = causality;
  } else {
    const study = ae.study?.[0]?.reference;
    const meds = study ? await searchAll('Medication', {}, 1) : [];
    if (meds[0]) ae.suspectEntity = [{ instance: { reference: `Medication/${meds[0].id}` }, causality }];
  }
  delete ae.text;  // the draft's narrative says "draft"; the server's profile does not need one
  await transaction([
    { resource: ae, request: { method: 'PUT', url: `AdverseEvent/${id}`, ifMatch: `W/"${ae.meta.versionId}"` } },
    { resource: provenance(ae, 'confirm', note), request: { method: 'POST', url: 'Provenance' } },
  ]);
}

export async function reject(id, reason) {
  const ae = await read('AdverseEvent', id);
  await transaction([
    { request: { method: 'DELETE', url: `AdverseEvent/${id}`, ifMatch: `W/"${ae.meta.versionId}"` } },
    { resource: provenance(ae, 'reject', reason), request: { method: 'POST', url: 'Provenance' } },
  ]);
}

function select(id, label, options, value) {
  return [h('label', { for: id }, label), h('select', { id, required: true },
    h('option', { value: '' }, 'choose…'), options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)))];
}

function reviewForm(ae, rerender) {
  const p = `ae-${ae.id}`;
  const out = h('div', { class: 'form-error', role: 'alert' });
  const onConfirm = async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    try {
      await confirm(ae.id, { serious: f[`${p}-serious`].value, related: f[`${p}-related`].value,
        outcome: f[`${p}-outcome`].value, note: f[`${p}-note`].value });
      say(`Adverse event ${ae.id} confirmed.`);
      rerender();
    } catch (e) { out.replaceChildren(errorBox(e)); }
  };
  const onReject = async (ev) => {
    ev.preventDefault();
    const reason = ev.target[`${p}-reason`].value.trim();
    try {
      await reject(ae.id, reason);
      say(`Adverse event ${ae.id} rejected.`);
      rerender();
    } catch (e) { out.replaceChildren(errorBox(e)); }
  };
  return h('div', { class: 'review' },
    h('form', { class: 'confirm', onsubmit: onConfirm, 'aria-label': `Confirm ${ae.id}` },
      h('fieldset', {}, h('legend', {}, 'Confirm'),
        select(`${p}-serious`, 'Seriousness', kSerious, ae.seriousness?.coding?.[0]?.code),
        select(`${p}-related`, 'Relatedness to the study treatment', kRelated),
        select(`${p}-outcome`, 'Outcome', kOutcomes, ae.outcome?.coding?.[0]?.code || 'ongoing'),
        h('label', { for: `${p}-note` }, 'Note (optional)'), h('input', { id: `${p}-note`, type: 'text' }),
        h('button', { type: 'submit' }, 'Confirm adverse event'))),
    h('form', { class: 'reject', onsubmit: onReject, 'aria-label': `Reject ${ae.id}` },
      h('fieldset', {}, h('legend', {}, 'Reject'),
        h('label', { for: `${p}-reason` }, 'Reason'), h('textarea', { id: `${p}-reason`, required: true, rows: 2 }),
        h('button', { type: 'submit', class: 'danger' }, 'Reject draft'))),
    out);
}

export async function render(_args, _query, rerender) {
  const [drafts, subjects] = await Promise.all([
    searchAll('AdverseEvent', { actuality: 'potential' }),
    searchAll('ResearchSubject', {}),
  ]);
  const subjectOf = byPatient(subjects);
  drafts.sort((a, b) => (b.date || '').localeCompare(a.date || ''));  // newest first (sorted here: the
  // store's _sort by date is slow on large tables)
  return page('Draft adverse events',
    h('p', {}, `${drafts.length} draft${drafts.length === 1 ? '' : 's'} waiting for the investigator. Confirming asks for seriousness and relatedness; rejecting asks for a reason. Both are recorded (Provenance and the server's audit log).`),
    drafts.length === 0 ? h('p', { class: 'empty' }, 'The inbox is empty.') : null,
    drafts.map((ae) => {
      const rs = subjectOf.get(ae.subject?.reference);
      return section(`${ae.event?.text || ae.event?.coding?.[0]?.display || 'Adverse event'} (${ae.id})`,
        table(`Draft ${ae.id}`, ['subject', 'onset', 'CTCAE grade', 'relatedness'], [[
          rs ? h('a', { href: `#/subject/${encodeURIComponent(rs.id)}` }, subjectLabel(rs)) : ae.subject?.reference || '',
          fmtDate(ae.date), grade(ae) ? badge(`grade ${grade(ae)}`, 'warn') : '', relatedness(ae) || 'not assessed']]),
        reviewForm(ae, rerender));
    }));
}
