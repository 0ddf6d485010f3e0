// Study overview: enrolment against target, subjects by status, results received, the
// quarantine, registry sync, and the lab feed's figures (MLLP connections, messages, patients
// who are no subject) from the server's GET /metrics, where the server offers them.
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

// The Prometheus text format (GET /metrics) -> Map of 'name' or 'name{labels}' -> number; a
// family's series also add up under its bare name.
export function parseMetrics(text) {
  const out = new Map();
  for (const line of (text || '').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (Number.isNaN(v)) continue;
    if (m[2] && m[2] !== '{}') {
      out.set(m[1] + m[2], v);
      out.set(m[1], (out.get(m[1]) || 0) + v);
    } else {
      out.set(m[1], v);
    }
  }
  return out;
}

function labFeed(metrics) {
  if (metrics.missing) return unavailable('the lab feed\'s figures', 'This server does not offer GET /metrics.');
  if (metrics.error) return h('p', { class: 'error' }, `The figures cannot be read: ${metrics.error.message}`);
  const m = metrics.value;
  const n = (name) => m.get(name) ?? 0;
  const listening = m.has('trialbridge_mllp_connections_open');
  return [
    h('p', { class: 'note' }, 'Since the server started (GET /metrics).'),
    h('div', { class: 'stats' },
      listening ? [
        stat('MLLP connections open', n('trialbridge_mllp_connections_open'), `${n('trialbridge_mllp_connections_total')} accepted, ${n('trialbridge_mllp_connections_refused_total')} refused`),
        stat('HL7 v2 messages', n('trialbridge_mllp_messages_received_total'),
          `ACK AA ${n('trialbridge_mllp_acks_total{code="AA"}')}, AE ${n('trialbridge_mllp_acks_total{code="AE"}')}, AR ${n('trialbridge_mllp_acks_total{code="AR"}')}`),
      ] : stat('MLLP listener', 'off', 'serve --mllp-port or the mllp section turns it on'),
      stat('not a subject', n('trialbridge_v2_not_a_subject_total'), 'messages of patients who are no subject: receipt only')),
  ];
}

export async function render(_args, query) {
  const studies = (await search('ResearchStudy', { _count: 100 })).entry?.map((e) => e.resource) || [];
  if (studies.length === 0) return page('Study', h('p', {}, 'No ResearchStudy on this server yet.'));
  const study = studies.find((s) => s.id === query.get('study')) || studies[0];
  const studyRef = `ResearchStudy/${study.id}`;
  const [subjects, group, today, week, quarantine, registry, metrics] = await Promise.all([
    searchAll('ResearchSubject', { study: studyRef }),
    study.enrollment?.[0]?.reference ? read(...study.enrollment[0].reference.split('/')).catch(() => null) : null,
    count('Observation', { _lastUpdated: `ge${day(0)}` }),
    count('Observation', { _lastUpdated: `ge${day(6)}` }),
    optional(async () => (await call('GET', '/mllp/quarantine?status=open&_count=1')).json.total),
    optional(async () => (await fhir('GET', '/$registry-status')).json),
    optional(async () => parseMetrics((await call('GET', '/metrics')).text)),
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
    section('Lab feed', labFeed(metrics)),
    section('Subjects by status',
      table('Subjects by status', ['status', 'subjects'], [...byStatus].sort().map(([s, n]) => [s, n]), 'No subject yet.')),
    section('Subjects',
      table('Subjects of the study', ['subject', 'status', 'arm', 'since'], subjects
        .sort((a, b) => subjectLabel(a).localeCompare(subjectLabel(b)))
        .map((s) => [h('a', { href: `#/subject/${encodeURIComponent(s.id)}` }, subjectLabel(s)), s.status, s.assignedArm || '', s.period?.start || '']),
      'No subject yet.')),
  );
}
