// Study overview: enrolment against target, subjects by status, results received, the
// quarantine, registry sync and MLLP figures where the server offers them.
import { call, count, fhir, notOffered, read, search, searchAll } from '../fhir.js';
import { h, page, section, stat, table, unavailable, badge } from '../ui.js';
import { subjectLabel } from './common.js';

function day(offsetDays) {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - offsetDays);
  return d.toISOString();
}

async function optional(fn) {
  try { return { value: await fn() }; } catch (e) {
    if (notOffered(e)) return { missing: true };
    return { error: e };
  }
}

export async function render(_args, query) {
  const studies = (await search('ResearchStudy', { _count: 100 })).entry?.map((e) => e.resource) || [];
  if (studies.length === 0) return page('Study', h('p', {}, 'No ResearchStudy on this server yet.'));
  const study = studies.find((s) => s.id === query.get('study')) || studies[0];
  const studyRef = `ResearchStudy/${study.id}`;
  const [subjects, group, today, week, quarantine, registry] = await Promise.all([
    searchAll('ResearchSubject', { study: studyRef }),
    study.enrollment?.[0]?.reference ? read(...study.enrollment[0].reference.split('/')).catch(() => null) : null,
    count('Observation', { _lastUpdated: `ge${day(0)}` }),
    count('Observation', { _lastUpdated: `ge${day(6)}` }),
    optional(async () => (await call('GET', '/mllp/quarantine?status=open&_count=1')).json.total),
    optional(async () => (await fhir('GET', '/$registry-status')).json),
  ]);
  const byStatus = new Map();
  for (const s of subjects) byStatus.set(s.status, (byStatus.get(s.status) || 0) + 1);
  const enrolled = subjects.filter((s) => !['candidate', 'eligible', 'ineligible', 'not-registered', 'pending-on-study', 'potential-candidate', 'screening', 'withdrawn'].includes(s.status)).length;
  const target = group?.quantity;
  const id = study.identifier?.find((i) => i.use === 'official') || study.identifier?.[0];

  const picker = studies.length > 1
    ? h('p', {}, h('label', { for: 'study-pick' }, 'Study '), h('select', {
      id: 'study-pick', onchange: (ev) => { location.hash = `#/overview?study=${encodeURIComponent(ev.target.value)}`; },
    }, studies.map((s) => h('option', { value: s.id, selected: s.id === study.id }, s.identifier?.[0]?.value || s.id))))
    : null;

  const registryText = registry.missing ? 'not available on this server'
    : registry.error ? `error: ${registry.error.message}`
      : `${(registry.value.parameter || []).filter((p) => p.name === 'target').length} target(s)`;
  return page(`${id?.value || study.id}: ${study.title || ''}`,
    picker,
    h('p', {}, 'Status ', badge(study.status), ' · phase ', study.phase?.coding?.[0]?.code || 'n/a'),
    h('div', { class: 'stats' },
      stat('enrolled', `${enrolled}${target ? ` / ${target}` : ''}`, target ? `${Math.round((100 * enrolled) / target)}% of target` : 'no target'),
      stat('results today', today, 'Observations stored since midnight'),
      stat('results in 7 days', week),
      stat('open in quarantine', quarantine.missing ? 'n/a' : quarantine.error ? '!' : quarantine.value,
        quarantine.missing ? 'not available on this server' : quarantine.error?.message),
      stat('registry sync', registry.missing ? 'n/a' : registryText, registry.missing ? 'not available on this server' : ''),
    ),
    section('Subjects by status',
      table('Subjects by status', ['status', 'subjects'], [...byStatus].sort().map(([s, n]) => [s, n]), 'No subject yet.')),
    section('Subjects',
      table('Subjects of the study', ['subject', 'status', 'arm', 'since'], subjects
        .sort((a, b) => subjectLabel(a).localeCompare(subjectLabel(b)))
        .map((s) => [h('a', { href: `#/subject/${encodeURIComponent(s.id)}` }, subjectLabel(s)), s.status, s.assignedArm || '', s.period?.start || '']),
      'No subject yet.')),
    section('Lab feed',
      unavailable('not-a-subject counts and MLLP connections',
        'They come from the MLLP listener and /metrics, which this server does not offer yet.')),
  );
}
