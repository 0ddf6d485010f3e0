// The HL7 v2 quarantine (docs/mllp.md): the read-only REST view beside the FHIR API. A message's
// error location (ERR-2 style, e.g. OBX[2]-5.1) is drawn on the segment's fields. The view never
// carries the message's bytes (they hold names and identifiers), so the fields are positions.
import { call, notOffered } from '../fhir.js';
import { badge, fmtDate, h, page, section, table, unavailable } from '../ui.js';

// "OBX[2]-5.1" -> {segment: 'OBX', repeat: 2, field: 5, component: 1}; null when unreadable.
export function parseLocation(loc) {
  const m = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?(?:-(\d+)(?:\.(\d+))?)?/.exec(loc || '');
  if (!m) return null;
  return { segment: m[1], repeat: Number(m[2] || 1), field: m[3] ? Number(m[3]) : null, component: m[4] ? Number(m[4]) : null };
}

function fieldStrip(loc) {
  const p = parseLocation(loc);
  if (!p) return h('p', { class: 'note' }, loc ? `Location ${loc}` : 'No location given.');
  const n = Math.max(p.field || 0, 8);
  const cells = [h('li', { class: 'seg' }, `${p.segment}${p.repeat > 1 ? `[${p.repeat}]` : ''}`)];
  for (let i = 1; i <= n; ++i) {
    const hit = i === p.field;
    cells.push(h('li', { class: hit ? 'hit' : '', 'aria-current': hit ? 'true' : false },
      `${p.segment}-${i}${hit && p.component ? `.${p.component}` : ''}`));
  }
  return h('div', {}, h('p', {}, 'Error location: ', h('strong', {}, loc)),
    h('ol', { class: 'fields', 'aria-label': `Fields of ${p.segment}, the error at field ${p.field || 'none'}` }, cells));
}

async function detail(id) {
  const e = (await call('GET', `/mllp/quarantine/${encodeURIComponent(id)}`)).json;
  return section(`Message ${e.controlId || e.id}`,
    h('dl', { class: 'facts' }, [['status', e.status], ['received', fmtDate(e.received)], ['sender', `${e.sendingApplication || ''}|${e.sendingFacility || ''}`],
      ['message type', e.messageType], ['ACK', e.ack], ['HL7 error code', e.errorCode], ['attempts', e.attempts], ['size', e.bytes ? `${e.bytes} bytes` : '']]
      .flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '')])),
    h('p', {}, 'Reason: ', h('strong', {}, e.reason || '')),
    fieldStrip(e.location),
    h('div', { class: 'actions' },
      h('button', { type: 'button', disabled: true, 'aria-describedby': 'q-why' }, 'Retry'),
      h('button', { type: 'button', disabled: true, 'aria-describedby': 'q-why', class: 'danger' }, 'Discard')),
    unavailable('retry and discard over REST', h('span', { id: 'q-why' }, `This server retries and discards with the command line: trialbridge quarantine retry ${e.id} | trialbridge quarantine discard ${e.id}.`)));
}

export async function render(args, query) {
  let list;
  try {
    list = (await call('GET', `/mllp/quarantine?_count=200${query.get('status') ? `&status=${encodeURIComponent(query.get('status'))}` : ''}`)).json;
  } catch (e) {
    if (!notOffered(e)) throw e;
    return page('Quarantine', unavailable('the HL7 v2 quarantine',
      'This server has no MLLP listener or no quarantine view (GET /mllp/quarantine). Messages that cannot be processed are listed here once it does.'));
  }
  const entries = list.entries || [];
  return page('Quarantine',
    h('p', {}, `${list.total ?? entries.length} message(s) kept in quarantine.`),
    table('Quarantined messages', ['received', 'sender', 'control id', 'type', 'ACK', 'location', 'reason', 'status'], entries.map((e) => [
      fmtDate(e.received), `${e.sendingApplication || ''}|${e.sendingFacility || ''}`,
      h('a', { href: `#/quarantine/${encodeURIComponent(e.id)}` }, e.controlId || e.id), e.messageType || '', e.ack || '',
      e.location || '', e.reason || '', badge(e.status || '', e.status === 'open' ? 'warn' : 'muted')]), 'Nothing in quarantine.'),
    args[0] ? await detail(args[0]) : null);
}
