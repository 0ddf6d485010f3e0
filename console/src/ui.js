// Small DOM helpers: elements are built with h(), never from HTML strings, so no value read from
// the server can become markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

export function page(title, ...children) {
  return [h('h1', { tabindex: '-1' }, title), ...children];
}

export function section(title, ...children) {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

// A table with a caption (read by screen readers), header cells and rows of cells (values or
// nodes); `empty` is shown when there is no row.
export function table(caption, headers, rows, empty = 'None.') {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((r) => h('tr', r.attrs || {}, (r.cells || r).map((c) => h('td', {}, c)))))));
}

// What a page shows where the server lacks an operation: said plainly, never hidden.
export function unavailable(what, detail) {
  return h('div', { class: 'unavailable', role: 'note' },
    h('strong', {}, 'Not available on this server: '), what, detail ? h('p', {}, detail) : null);
}

export function errorBox(e) {
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, 'Error: '), e.message || String(e));
}

export function badge(text, kind = '') { return h('span', { class: `badge ${kind}` }, text); }

export function stat(label, value, note) {
  return h('div', { class: 'stat' }, h('span', { class: 'value' }, value), h('span', { class: 'label' }, label),
    note ? h('span', { class: 'note' }, note) : null);
}

export function fmtDate(s) {
  if (!s) return '';
  return s.length > 16 ? s.slice(0, 16).replace('T', ' ') : s;
}

let sayTimer = 0;
export function say(text) {
  const s = document.getElementById('status');
  s.textContent = text;
  clearTimeout(sayTimer);
  sayTimer = setTimeout(() => { s.textContent = ''; }, 6000);
}
