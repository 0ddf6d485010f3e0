// Registry publishing (docs/registries.md): per target, the last run, what is pending and the
// failures with their reasons, from GET [base]/$registry-status; and, on request, the
// field-by-field diff of a dry run (GET [base]/$registry-dry-run?target=NAME: the publisher's own
// dry run, which sends and saves nothing but may read the registry, so it is not run on load).
import { fhir, notOffered } from '../fhir.js';
import { badge, errorBox, fmtDate, h, page, section, table, unavailable } from '../ui.js';

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

// A dry run's Parameters -> {outcome, rows, error, changes: [{resource, action, ..., fields}]}.
export function dryRunOf(parameters) {
  const top = partsOf({ part: parameters.parameter || [] });
  const changes = [].concat(top.change || []).filter((c) => typeof c === 'object')
    .map((c) => ({ ...c, fields: [].concat(c.field || []).filter((f) => typeof f === 'object') }));
  return { outcome: top.outcome, rows: top.rows ?? 0, error: top.error, changes };
}

// Values over 2,000 characters (a new record's whole section) are cut for the page.
const clip = (v) => (v === undefined ? '(none)' : v.length > 2000 ? `${v.slice(0, 2000)}…` : v);

function dryRunView(name, run) {
  const label = (c) => `${c.resource}: ${c.action}${c.remote ? ` (${c.remote})` : ''}`;
  return [
    h('p', {}, `Dry run of ${name}: ${run.rows} change(s) waiting, ${run.changes.length} record(s) looked at, outcome `,
      badge(run.outcome || '', run.outcome === 'ok' ? 'ok' : 'warn'), run.error ? ` (${run.error})` : ''),
    run.changes.length === 0 ? h('p', { class: 'empty' }, 'Nothing would change.') : null,
    run.changes.map((c) => h('div', { class: 'change' },
      h('h4', {}, label(c)), c.note ? h('p', { class: 'note' }, c.note) : null,
      table(`Fields of ${c.resource} that would change`, ['field', 'registry now', 'would become'],
        c.fields.map((f) => ({ attrs: { 'data-path': f.path }, cells: [h('code', {}, f.path), clip(f.before), clip(f.after)] })),
        'No field changes.')))];
}

function dryRunPanel(name) {
  const out = h('div', { class: 'dry-run', 'aria-live': 'polite' });
  const onRun = async (ev) => {
    const button = ev.target;
    button.disabled = true;
    out.replaceChildren(h('p', {}, 'Running the dry run…'));
    try {
      const run = dryRunOf((await fhir('GET', `/$registry-dry-run?target=${encodeURIComponent(name)}`)).json);
      out.replaceChildren(...dryRunView(name, run).flat(Infinity).filter(Boolean));
      out.dataset.done = 'true';
    } catch (e) {
      out.replaceChildren(notOffered(e) ? unavailable('the dry run over REST', 'This server has no GET [base]/$registry-dry-run; the command line shows it: trialbridge registry publish --target NAME --dry-run.') : errorBox(e));
    }
    button.disabled = false;
  };
  return h('div', {},
    h('h3', {}, 'Dry run'),
    h('p', { class: 'note' }, 'Shows, field by field, how the registry\'s record would change if the pending changes were published now. Nothing is sent or saved.'),
    h('button', { type: 'button', class: 'quiet', onclick: onRun, 'data-target': name }, `Dry run of ${name}`), out);
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
      failures.map((f) => [f.resource, f.version, f.attempts, f.reason, fmtDate(f.changed), fmtDate(f.nextAttempt)]), 'No failure.'),
    dryRunPanel(t.name));
}

export async function render() {
  let status;
  try {
    status = (await fhir('GET', '/$registry-status')).json;
  } catch (e) {
    if (!notOffered(e) && e.status !== 400) throw e;
    status = null;
  }
  if (!status) {
    return page('Registries', unavailable('registry publishing state',
      'This server does not offer GET [base]/$registry-status (registry publishing, issue 12).'));
  }
  const targets = (status.parameter || []).filter((p) => p.name === 'target').map(partsOf);
  return page('Registries', targets.length === 0 ? h('p', { class: 'empty' }, 'No registry target is configured.') : targets.map(target));
}
