// A subject: the schedule as placed results and doses, the platelet chart with the response
// thresholds, the responses, the eligibility worksheet and the adverse events.
import { ext, kSd, read, searchAll } from '../fhir.js';
import { badge, fmtDate, h, page, section, table, unavailable } from '../ui.js';
import { effective, grade, placement, relatedness, serious, subjectLabel } from './common.js';
import { plateletChart } from './platelet_chart.js';

// LOINC codes of a platelet count in blood, and the units equal to 10^9/L.
const kPlateletCodes = new Set(['777-3', '26515-7', '49497-1', '778-1']);
const kPerNanolitre = new Set(['10*9/L', '10*3/uL', '10*3/mm3', '/nL', '10^9/L', '10^3/uL', 'K/uL']);
const kResponseSystem = 'tb-platelet-response';

export function plateletCounts(observations) {
  return observations
    .filter((o) => o.code?.coding?.some((c) => c.system === 'http://loinc.org' && kPlateletCodes.has(c.code)))
    .filter((o) => o.status !== 'entered-in-error' && typeof o.valueQuantity?.value === 'number')
    .filter((o) => kPerNanolitre.has(o.valueQuantity.code || o.valueQuantity.unit))
    .map((o) => ({ t: Date.parse(effective(o)) / 1000, value: o.valueQuantity.value, obs: o }))
    .filter((p) => !Number.isNaN(p.t))
    .sort((a, b) => a.t - b.t);
}

// Baseline: the count placed at a timepoint whose id names the baseline, else the last count
// before the first dose, else none (docs/console.md).
export function baselineOf(counts, doses) {
  const named = counts.filter((c) => /baseline/i.test(placement(c.obs)?.timepoint || ''));
  if (named.length) return named[named.length - 1];
  const first = doses.length ? Math.min(...doses.map((d) => d.t)) : null;
  if (first === null) return null;
  const before = counts.filter((c) => c.t <= first);
  return before.length ? before[before.length - 1] : null;
}

function placementBadge(p) {
  if (!p) return badge('not placed', 'muted');
  if (p.placement === 'in-window') return badge(`in window: ${p.timepoint}${p.occurrence > 1 ? ` #${p.occurrence}` : ''}`, 'ok');
  if (p.placement === 'out-of-window') return badge(`out of window: ${p.timepoint} (${p.distance})`, 'warn');
  return badge(`unscheduled${p.timepoint ? ` (near ${p.timepoint})` : ''}`, 'muted');
}

function timeline(observations, doses) {
  const rows = new Map();
  const key = (p) => {
    if (!p) return '(not placed)';
    return p.placement === 'unscheduled' ? '(unscheduled)' : `${p.timepoint}${p.occurrence > 1 ? ` #${p.occurrence}` : ''}`;
  };
  const row = (k, t) => {
    if (!rows.has(k)) rows.set(k, { k, t, doses: [], results: [] });
    const r = rows.get(k);
    r.t = Math.min(r.t, t);
    return r;
  };
  for (const d of doses) row(key(d.placement), d.t).doses.push(d);
  for (const o of observations) {
    const t = Date.parse(effective(o)) / 1000;
    row(key(placement(o)), t).results.push(o);
  }
  const sorted = [...rows.values()].sort((a, b) => a.t - b.t);
  return table('Schedule: doses and results by timepoint', ['timepoint', 'date', 'doses', 'results and where they fell'],
    sorted.map((r) => [r.k, fmtDate(new Date(r.t * 1000).toISOString()),
      r.doses.map((d) => h('div', {}, badge('dose', 'dose'), ' ', fmtDate(d.when))),
      h('ul', { class: 'plain' }, r.results.map((o) => h('li', {}, `${o.code?.text || o.code?.coding?.[0]?.display || o.code?.coding?.[0]?.code}: `,
        valueText(o), ' ', placementBadge(placement(o)))))]),
    'No dose or result yet.');
}

function valueText(o) {
  if (o.valueQuantity) return `${o.valueQuantity.value} ${o.valueQuantity.unit || o.valueQuantity.code || ''}`;
  if (o.valueCodeableConcept) return o.valueCodeableConcept.coding?.[0]?.code || o.valueCodeableConcept.text || '';
  return o.valueString || '';
}

function responses(observations) {
  const rs = observations.filter((o) => o.valueCodeableConcept?.coding?.some((c) => (c.system || '').endsWith(kResponseSystem)))
    .sort((a, b) => effective(a).localeCompare(effective(b)));
  if (rs.length === 0) {
    return unavailable('derived responses', 'No IWG response Observation is stored for this subject: the server derives them with the study context (issue 11).');
  }
  return table('Platelet response by timepoint', ['date', 'timepoint', 'response', 'state'], rs.map((o) => [
    fmtDate(effective(o)), placement(o)?.timepoint || '', valueText(o),
    o.status === 'final' ? badge('confirmed', 'ok') : badge('provisional', 'warn')]));
}

function eligibility(group, observations) {
  const criteria = group?.characteristic || [];
  if (criteria.length === 0) return unavailable('the eligibility criteria', 'The study has no eligibility Group.');
  const outcome = new Map();
  for (const o of observations) {
    const id = ext(o, `${kSd}tb-criterion-id`)[0]?.valueId;
    if (id) outcome.set(id, o);
  }
  return [outcome.size === 0 ? h('p', { class: 'note' }, 'No criterion outcome is stored for this subject (the server evaluates eligibility with the study context, issue 11); the criteria are listed as the protocol has them.') : null,
    table('Eligibility worksheet', ['criterion', 'kind', 'criterion text', 'outcome'], criteria.map((c) => {
      const id = ext(c, `${kSd}tb-criterion-id`)[0]?.valueId || '';
      const o = outcome.get(id);
      return [id, `${c.exclude ? 'exclusion' : 'inclusion'} · ${ext(c, `${kSd}tb-criterion-kind`)[0]?.valueCode || ''}`,
        c.code?.text || c.valueCodeableConcept?.text || c.description || '',
        o ? valueText(o) : badge('not evaluated', 'muted')];
    }))];
}

function adverseEvents(aes) {
  return table('Adverse events', ['event', 'onset', 'CTCAE grade', 'serious', 'relatedness', 'state'],
    aes.sort((a, b) => (a.date || '').localeCompare(b.date || '')).map((ae) => [
      ae.event?.text || ae.event?.coding?.[0]?.display || '', fmtDate(ae.date), grade(ae), serious(ae), relatedness(ae),
      ae.actuality === 'potential' ? h('a', { href: '#/ae-inbox' }, badge('draft', 'warn')) : badge('confirmed', 'ok')]),
    'No adverse event.');
}

export async function render(args) {
  const rs = await read('ResearchSubject', args[0]);
  const patient = rs.individual?.reference;
  const [observations, administrations, aes, study] = await Promise.all([
    patient ? searchAll('Observation', { subject: patient }) : [],
    patient ? searchAll('MedicationAdministration', { subject: patient }).catch(() => []) : [],
    patient ? searchAll('AdverseEvent', { subject: patient }) : [],
    rs.study?.reference ? read(...rs.study.reference.split('/')).catch(() => null) : null,
  ]);
  const groupRef = study?.enrollment?.[0]?.reference;
  const group = groupRef ? await read(...groupRef.split('/')).catch(() => null) : null;
  const doses = administrations.filter((m) => m.status !== 'entered-in-error' && m.status !== 'not-done')
    .map((m) => ({ when: m.effectiveDateTime || m.effectivePeriod?.start, placement: placement(m) }))
    .map((d) => ({ ...d, t: Date.parse(d.when) / 1000 })).filter((d) => !Number.isNaN(d.t));
  const counts = plateletCounts(observations);
  const baseline = baselineOf(counts, doses);
  const labs = observations.filter((o) => !o.valueCodeableConcept?.coding?.some((c) => (c.system || '').endsWith(kResponseSystem)));
  return page(`Subject ${subjectLabel(rs)}`,
    h('p', {}, 'Status ', badge(rs.status), rs.assignedArm ? ` · arm ${rs.assignedArm}` : '', rs.period?.start ? ` · since ${rs.period.start}` : '',
      ' · ', h('a', { href: '#/overview' }, 'back to the study')),
    section('Platelet count', plateletChart(counts, doses, baseline)),
    section('Responses (IWG)', responses(observations)),
    section('Schedule', doses.length === 0 ? h('p', { class: 'note' }, 'No dose recorded (MedicationAdministration) for this subject.') : null,
      timeline(labs, doses)),
    section('Eligibility', eligibility(group, observations)),
    section('Adverse events', adverseEvents(aes)));
}
