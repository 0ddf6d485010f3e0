// The HL7 v2 quarantine (docs/mllp.md, docs/rest.md): the list (open entries by default), one
// entry's segments and fields with the error location highlighted, and its retry and discard
// (with a reason), through the REST view beside the FHIR API. The server masks every field that
// identifies a person before sending (hl7v2/masking.h): the console never receives names or
// hospital identifiers, and shows the masked fields as such.
import { HttpError, call, notOffered, search } from '../fhir.js';
import { badge, errorBox, fmtDate, h, page, say, section, table, unavailable } from '../ui.js';

const kStatuses = ['open', 'retried', 'discarded', 'all'];
// What the last decision on an entry gave, shown once when the page is drawn again.
let lastOutcome = null;

// "OBX[2]-5.1" -> {segment: 'OBX', repeat: 2, field: 5, component: 1}; null when unreadable.
export function parseLocation(loc) {
  const m = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?(?:-(\d+)(?:\.(\d+))?)?/.exec(loc || '');
  if (!m) return null;
  return { segment: m[1], repeat: Number(m[2] || 1), field: m[3] ? Number(m[3]) : null, component: m[4] ? Number(m[4]) : null };
}

// Whether a field of a segment (as the REST view sends them) is where the error is.
export function isErrorField(segment, field, loc) {
  return !!loc && segment.id === loc.segment && segment.occurrence === loc.repeat && field.n === loc.field;
}

// The field positions alone, for an entry without segments (a message with no readable MSH).
function fieldStrip(p) {
  const n = Math.max(p.field || 0, 8);
  const cells = [h('li', { class: 'seg' }, `${p.segment}${p.repeat > 1 ? `[${p.repeat}]` : ''}`)];
  for (let i = 1; i <= n; ++i) {
    const hit = i === p.field;
    cells.push(h('li', { class: hit ? 'hit' : '', 'aria-current': hit ? 'true' : false },
      `${p.segment}-${i}${hit && p.component ? `.${p.component}` : ''}`));
  }
  return h('ol', { class: 'fields', 'aria-label': `Fields of ${p.segment}, the error at field ${p.field || 'none'}` }, cells);
}

function segmentRow(seg, loc) {
  const name = `${seg.id}${seg.occurrence > 1 ? `[${seg.occurrence}]` : ''}`;
  const errorHere = loc && seg.id === loc.segment && seg.occurrence === loc.repeat;
  const cells = [h('li', { class: errorHere ? 'seg hit-seg' : 'seg' }, name)];
  // The fields written, and the error's field even when the segment ends before it.
  const byNumber = new Map(seg.fields.map((f) => [f.n, f]));
  const last = Math.max(seg.fields.length ? seg.fields[seg.fields.length - 1].n : 0, errorHere ? loc.field || 0 : 0);
  for (let n = 1; n <= last; ++n) {
    const f = byNumber.get(n) || { n, value: '' };
    const hit = isErrorField(seg, f, loc);
    if (!f.value && !hit) continue;
    cells.push(h('li', { class: [hit ? 'hit' : '', f.masked ? 'masked' : ''].join(' ').trim(), 'aria-current': hit ? 'true' : false },
      h('span', { class: 'pos' }, `${seg.id}-${f.n}${hit && loc.component ? `.${loc.component}` : ''}`), ' ',
      f.value || '(empty)', f.masked ? h('span', { class: 'visually-hidden' }, ' (masked)') : null,
      f.truncated ? '…' : null));
  }
  return h('li', {}, h('ol', { class: 'fields', 'aria-label': `${name}${errorHere ? ', where the error is' : ''}` }, cells));
}

function segments(e) {
  const loc = parseLocation(e.location);
  const where = h('p', {}, 'Error location: ', h('strong', {}, e.location || 'none given'));
  if (!e.segments || e.segments.length === 0) {
    return [where, loc ? fieldStrip(loc) : h('p', { class: 'note' }, 'The message has no readable header: its fields cannot be shown.')];
  }
  return [where,
    h('p', { class: 'note' }, 'Values as received; fields that identify a person (names, hospital identifiers, birth date, addresses, phones, next of kin, free text) are masked (***) by the server.'),
    h('ol', { class: 'segments', 'aria-label': 'Segments of the message' }, e.segments.map((s) => segmentRow(s, loc)))];
}

// The audited decisions on the entry (AuditEvent?entity=Quarantine/{id}).
async function decisions(id) {
  let bundle;
  try {
    bundle = await search('AuditEvent', { entity: `Quarantine/${id}`, _count: 50 });
  } catch (e) {
    return h('p', { class: 'note' }, `The audit log cannot be read here (${e.message}).`);
  }
  const rows = (bundle.entry || []).map((x) => x.resource).map((a) => {
    const d = Object.fromEntries((a.entity?.[0]?.detail || []).map((x) => [x.type, x.valueString]));
    return [fmtDate(a.recorded), a.agent?.[0]?.who?.identifier?.value || '', d.operation || '',
      a.outcome === '0' ? 'done' : 'still fails', d.reason || ''];
  });
  return table(`Decisions on ${id}`, ['when', 'who', 'operation', 'outcome', 'reason'], rows, 'No decision yet.');
}

async function decide(id, operation, reason, rerender) {
  try {
    await call('POST', `/mllp/quarantine/${encodeURIComponent(id)}/$${operation}`, { body: reason ? { reason } : {} });
    lastOutcome = { id, ok: true, text: operation === 'retry' ? 'Retried: the message was accepted and stored.' : 'Discarded.' };
    say(`Message ${operation === 'retry' ? 'retried' : 'discarded'}.`);
    if (operation === 'discard') { location.hash = '#/quarantine'; return; }
  } catch (e) {
    const why = e instanceof HttpError && e.body?.error ? e.body.error : e.message;
    lastOutcome = { id, ok: false, text: e.status === 422 ? `Still fails: ${why}` : why };
  }
  rerender();
}

function actions(e, rerender) {
  const p = `q-${e.id}`;
  const onRetry = (ev) => { ev.preventDefault(); decide(e.id, 'retry', ev.target[`${p}-retry-reason`].value.trim(), rerender); };
  const onDiscard = (ev) => { ev.preventDefault(); decide(e.id, 'discard', ev.target[`${p}-reason`].value.trim(), rerender); };
  return h('div', { class: 'review' },
    h('form', { class: 'retry', onsubmit: onRetry, 'aria-label': `Retry ${e.id}` },
      h('fieldset', {}, h('legend', {}, 'Retry'),
        h('p', { class: 'note' }, 'Runs the message through the pipeline again, after a mapping or enrolment fix.'),
        h('label', { for: `${p}-retry-reason` }, 'Note (optional)'), h('input', { id: `${p}-retry-reason`, type: 'text', maxlength: 1000 }),
        h('button', { type: 'submit' }, 'Retry'))),
    h('form', { class: 'discard', onsubmit: onDiscard, 'aria-label': `Discard ${e.id}` },
      h('fieldset', {}, h('legend', {}, 'Discard'),
        h('label', { for: `${p}-reason` }, 'Reason (recorded in the audit log)'),
        h('textarea', { id: `${p}-reason`, required: true, rows: 2, maxlength: 1000 }),
        h('button', { type: 'submit', class: 'danger' }, 'Discard'))));
}

async function detail(id, rerender) {
  const [e, audit] = await Promise.all([
    call('GET', `/mllp/quarantine/${encodeURIComponent(id)}`).then((r) => r.json),
    decisions(id)]);
  const outcome = lastOutcome && lastOutcome.id === id ? lastOutcome : null;
  lastOutcome = null;
  return section(`Message ${e.controlId || e.id}`,
    outcome ? h('div', { class: outcome.ok ? 'done' : 'error', role: 'alert' }, outcome.text) : null,
    h('dl', { class: 'facts' }, [['status', badge(e.status, e.status === 'open' ? 'warn' : 'muted')], ['received', fmtDate(e.received)],
      ['sender', `${e.sendingApplication || ''}|${e.sendingFacility || ''}`], ['message type', e.messageType], ['ACK', e.ack],
      ['HL7 error code', e.errorCode], ['attempts', e.attempts], ['size', e.bytes ? `${e.bytes} bytes` : '']]
      .flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '')])),
    h('p', {}, 'Reason: ', h('strong', { class: 'reason' }, e.reason || '')),
    segments(e),
    e.status === 'open' ? actions(e, rerender) : null,
    h('h3', {}, 'Decisions'), audit);
}

export async function render(args, query, rerender) {
  const status = kStatuses.includes(query.get('status')) ? query.get('status') : 'open';
  let list;
  try {
    list = (await call('GET', `/mllp/quarantine?_count=200&status=${status}`)).json;
  } catch (e) {
    if (!notOffered(e)) throw e;
    return page('Quarantine', unavailable('the HL7 v2 quarantine',
      'This server has no MLLP listener or no quarantine view (GET /mllp/quarantine). Messages that cannot be processed are listed here once it does.'));
  }
  const entries = list.entries || [];
  let shown = null;
  if (args[0]) {
    try { shown = await detail(args[0], rerender); } catch (e) { shown = errorBox(e); }
  }
  return page('Quarantine',
    h('nav', { 'aria-label': 'Quarantine status', class: 'filters' }, 'Show: ', kStatuses.map((s) => [
      h('a', { href: `#/quarantine?status=${s}`, 'aria-current': s === status ? 'page' : false }, s), ' '])),
    h('p', { class: 'count' }, `${list.total ?? entries.length} message(s) ${status === 'all' ? 'kept in quarantine' : status}.`),
    table('Quarantined messages', ['received', 'sender', 'control id', 'type', 'ACK', 'location', 'reason', 'status'], entries.map((e) => ({
      attrs: { 'data-id': e.id },
      cells: [fmtDate(e.received), `${e.sendingApplication || ''}|${e.sendingFacility || ''}`,
        h('a', { href: `#/quarantine/${encodeURIComponent(e.id)}${status === 'open' ? '' : `?status=${status}`}` }, e.controlId || e.id),
        e.messageType || '', e.ack || '', e.location || '', e.reason || '', badge(e.status || '', e.status === 'open' ? 'warn' : 'muted')],
    })), status === 'open' ? 'Nothing in quarantine.' : `No ${status} message.`),
    shown);
}
