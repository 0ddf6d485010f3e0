// Registry publishing (docs/registries.md): per target, the last run, what is pending and the
// failures with their reasons, from GET [base]/$registry-status.
import { fhir, notOffered } from '../fhir.js';
import { badge, fmtDate, h, page, section, table, unavailable } from '../ui.js';

// Parameters parts -> a plain object (repeated names become arrays).
export function partsOf(p) {
  const o = {};
  for (const x of p.part || []) {
    const key = Object.keys(x).find((k) => k.startsWith('value'));
    const v = key ? x[key] : partsOf(x);
    if (x.name in o) o[x.name] = [].concat(o[x.name], v); else o[x.name] = v;
  }
  return o;
}

function target(t) {
  const run = t.lastRun || null;
  const failures = [].concat(t.failure || []).filter((f) => typeof f === 'object');
  return section(`Target ${t.name}`,
    h('dl', { class: 'facts' }, [['kind', t.kind], ['destination', t.destination], ['schedule', t.intervalSeconds ? `every ${t.intervalSeconds} s` : 'not scheduled'],
      ['running', t.running ? 'yes' : 'no'], ['pending changes', t.pending ?? 0], ['failing', t.failing ?? 0],
      ['last run', run ? `${fmtDate(run.started)} → ${fmtDate(run.finished)}` : 'never'],
      ['outcome', run ? badge(run.outcome, run.outcome === 'ok' ? 'ok' : 'warn') : ''],
      ['sent / unchanged / failed', run ? `${run.sent ?? 0} / ${run.unchanged ?? 0} / ${run.failed ?? 0}` : '']]
      .flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '')])),
    table(`Failures of ${t.name}`, ['resource', 'version', 'attempts', 'reason', 'changed', 'next attempt'],
      failures.map((f) => [f.resource, f.version, f.attempts, f.reason, fmtDate(f.changed), fmtDate(f.nextAttempt)]), 'No failure.'));
}

export async function render() {
  let status;
  try {
    status = (await fhir('GET', '/$registry-status')).json;
  } catch (e) {
    if (!notOffered(e) && e.status !== 400) throw e;
    status = null;
  }
  const dryRun = unavailable('the field-by-field diff of a dry run',
    'This server has no REST operation for a dry run; the command line shows it: trialbridge registry publish --target NAME --dry-run.');
  if (!status) {
    return page('Registries', unavailable('registry publishing state',
      'This server does not offer GET [base]/$registry-status (registry publishing, issue 12).'), dryRun);
  }
  const targets = (status.parameter || []).filter((p) => p.name === 'target').map(partsOf);
  return page('Registries', targets.length === 0 ? h('p', { class: 'empty' }, 'No registry target is configured.') : targets.map(target), dryRun);
}
