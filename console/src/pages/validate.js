// Validate: paste or upload a resource (JSON or XML), choose profiles, and see the issues of
// POST [base]/{type}/$validate with their lines highlighted in the text.
import { call, fhir, HttpError } from '../fhir.js';
import { badge, errorBox, h, page, section, table } from '../ui.js';

const kLine = 'http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-line';
const kCol = 'http://hl7.org/fhir/StructureDefinition/operationoutcome-issue-col';
let lastText = '';  // kept while the operator moves between pages

export function resourceTypeOf(text) {
  const t = text.trimStart();
  if (t.startsWith('<')) return /<([A-Za-z]+)[\s>]/.exec(t.replace(/<\?xml[^>]*>/, '').trimStart())?.[1] || '';
  return /"resourceType"\s*:\s*"([A-Za-z]+)"/.exec(t)?.[1] || '';
}

function issueLocation(i) {
  const get = (u) => (i.extension || []).find((x) => x.url === u)?.valueInteger;
  return { line: get(kLine), col: get(kCol) };
}

// The text with numbered lines; lines with an issue are marked and linked from the issue list.
function annotated(text, issues) {
  const worst = new Map();
  const rank = { fatal: 3, error: 2, warning: 1, information: 0 };
  for (const i of issues) {
    const { line } = issueLocation(i);
    if (line && (worst.get(line) === undefined || rank[i.severity] > rank[worst.get(line)])) worst.set(line, i.severity);
  }
  return h('pre', { class: 'annotated', tabindex: '0', 'aria-label': 'The resource with the lines that have issues marked' },
    text.split('\n').map((l, n) => h('span', { id: `line-${n + 1}`, class: `line ${worst.has(n + 1) ? `issue-${worst.get(n + 1)}` : ''}` },
      h('span', { class: 'ln', 'aria-hidden': 'true' }, String(n + 1).padStart(4)), ` ${l}\n`)));
}

async function profiles() {
  try {
    const cs = (await fhir('GET', '/metadata')).json;
    return (cs.rest?.[0]?.resource || []).flatMap((r) => (r.supportedProfile || []).map((p) => ({ type: r.type, url: p })));
  } catch { return []; }
}

export async function render() {
  const known = await profiles();
  const results = h('div', { id: 'validate-results', 'aria-live': 'polite' });
  const onSubmit = async (ev) => {
    ev.preventDefault();
    const text = ev.target.querySelector('#resource-text').value;
    lastText = text;
    const type = resourceTypeOf(text);
    if (!type) { results.replaceChildren(errorBox(new Error('no resourceType found in the text'))); return; }
    const chosen = [...ev.target.querySelectorAll('input[name=profile]:checked')].map((c) => c.value);
    const q = chosen.map((p) => `profile=${encodeURIComponent(p)}`).join('&');
    const xml = text.trimStart().startsWith('<');
    let outcome;
    try {
      outcome = (await call('POST', `/fhir/${type}/$validate${q ? `?${q}` : ''}`, {
        body: text, headers: { 'Content-Type': xml ? 'application/fhir+xml' : 'application/fhir+json' } })).json;
    } catch (e) {
      if (!(e instanceof HttpError) || e.body?.resourceType !== 'OperationOutcome') { results.replaceChildren(errorBox(e)); return; }
      outcome = e.body;
    }
    const issues = outcome.issue || [];
    const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').length;
    results.replaceChildren(section('Result',
      h('p', {}, errors ? badge(`${errors} error(s)`, 'bad') : badge('no error', 'ok'), ` · ${issues.length} issue(s) against R4${chosen.length ? `, ${chosen.join(', ')}` : ''} and the profiles the server requires for the type`),
      table('Issues', ['severity', 'where', 'line', 'message'], issues.map((i) => {
        const { line, col } = issueLocation(i);
        return [badge(i.severity, i.severity === 'error' || i.severity === 'fatal' ? 'bad' : i.severity === 'warning' ? 'warn' : 'muted'),
          (i.expression || i.location || []).join(', '), line ? h('a', { href: `#line-${line}`, onclick: (e) => { e.preventDefault(); document.getElementById(`line-${line}`)?.scrollIntoView({ block: 'center' }); } }, `${line}:${col ?? ''}`) : '',
          i.diagnostics || i.details?.text || ''];
      }), 'No issue.'),
      annotated(text, issues)));
  };
  const onFile = async (ev) => {
    const file = ev.target.files?.[0];
    if (file) document.getElementById('resource-text').value = await file.text();
  };
  return page('Validate',
    h('form', { onsubmit: onSubmit, class: 'validate' },
      h('label', { for: 'resource-text' }, 'Resource (JSON or XML)'),
      h('textarea', { id: 'resource-text', rows: 14, spellcheck: 'false' }, lastText),
      h('label', { for: 'resource-file' }, 'or upload a file'),
      h('input', { id: 'resource-file', type: 'file', accept: '.json,.xml,application/json,application/fhir+json,application/xml', onchange: onFile }),
      h('fieldset', {}, h('legend', {}, 'Profiles (besides R4)'),
        known.length === 0 ? h('p', { class: 'note' }, 'The server lists no profile.') : known.map((p, n) => h('div', {},
          h('input', { type: 'checkbox', name: 'profile', id: `profile-${n}`, value: p.url }),
          h('label', { for: `profile-${n}` }, `${p.type}: ${p.url.split('/').pop()}`)))),
      h('button', { type: 'submit' }, 'Validate')),
    results);
}
