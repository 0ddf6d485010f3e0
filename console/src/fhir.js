// The console's FHIR client: every read and write goes through the service's own REST API
// (docs/rest.md) with the user's bearer token, as any other client's would.
const kBase = '/fhir';
const kTokenKey = 'trialbridge.token';

export class HttpError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function token() { return sessionStorage.getItem(kTokenKey) || ''; }
export function setToken(value) {
  if (value) sessionStorage.setItem(kTokenKey, value.trim());
  else sessionStorage.removeItem(kTokenKey);
}

// The text of an OperationOutcome's issues, or ''.
export function outcomeText(json) {
  if (!json || json.resourceType !== 'OperationOutcome') return '';
  return (json.issue || []).map((i) => i.diagnostics || i.details?.text || i.code).join('; ');
}

// A request to the server (path from its root, e.g. '/fhir/Patient/1' or '/mllp/quarantine').
// Resolves to {status, json, text, etag}; rejects with HttpError (401 also fires 'tb-auth-needed'
// with the server's reason as its detail).
export async function call(method, path, { body, headers = {} } = {}) {
  const h = { Accept: 'application/fhir+json, application/json', ...headers };
  if (token()) h.Authorization = `Bearer ${token()}`;
  let payload = body;
  if (body !== undefined && typeof body !== 'string') {
    payload = JSON.stringify(body);
    h['Content-Type'] = 'application/fhir+json';
  }
  const r = await fetch(path, { method, headers: h, body: payload });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (r.status === 401) window.dispatchEvent(new CustomEvent('tb-auth-needed', { detail: outcomeText(json) || '401 Unauthorized' }));
  if (!r.ok) {
    throw new HttpError(r.status, outcomeText(json) || `${r.status} ${r.statusText}`, json);
  }
  return { status: r.status, json, text, etag: r.headers.get('ETag') };
}

export const fhir = (method, path, options) => call(method, kBase + path, options);

export async function read(type, id) { return (await fhir('GET', `/${type}/${encodeURIComponent(id)}`)).json; }

function query(params) {
  return new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined)).toString();
}

// One page of a search: the Bundle.
export async function search(type, params = {}) {
  return (await fhir('GET', `/${type}?${query(params)}`)).json;
}

// Every match of a search, following `next` links, at most `limit` resources (matches only).
export async function searchAll(type, params = {}, limit = 10000) {
  let bundle = await search(type, { _count: 1000, ...params });
  const out = [];
  for (;;) {
    for (const e of bundle.entry || []) {
      if (e.search?.mode !== 'include' && e.resource) out.push(e.resource);
    }
    const next = (bundle.link || []).find((l) => l.relation === 'next');
    if (!next || out.length >= limit) return out;
    const u = new URL(next.url, location.href);
    bundle = (await call('GET', u.pathname + u.search)).json;
  }
}

// The number of matches (`_summary=count`).
export async function count(type, params = {}) {
  return (await search(type, { ...params, _summary: 'count' })).total ?? 0;
}

// True for the answers of a server that does not have an operation (it came later, or is off).
export function notOffered(e) {
  return e instanceof HttpError && [404, 405, 501].includes(e.status);
}

export const ext = (r, url) => (r?.extension || []).filter((x) => x.url === url);
export const kSd = 'http://trialbridge.org/fhir/StructureDefinition/';
