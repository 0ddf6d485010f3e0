// The console's shell: a hash router over the pages; each page renders from the FHIR API.
import { setToken, token } from './fhir.js';
import { errorBox, say } from './ui.js';
import * as overview from './pages/overview.js';
import * as subject from './pages/subject.js';
import * as aeInbox from './pages/ae_inbox.js';
import * as quarantine from './pages/quarantine.js';
import * as registries from './pages/registries.js';
import * as validate from './pages/validate.js';

const kPages = { overview, subject, 'ae-inbox': aeInbox, quarantine, registries, validate };
let rendering = 0;

function route() {
  const [path, q] = (location.hash.replace(/^#\/?/, '') || 'overview').split('?');
  const [name, ...rest] = path.split('/');
  return { name: kPages[name] ? name : 'overview', args: rest.map(decodeURIComponent), query: new URLSearchParams(q || '') };
}

async function render() {
  const r = route();
  const mine = ++rendering;
  const main = document.getElementById('main');
  document.body.dataset.ready = '';
  for (const a of document.querySelectorAll('nav a')) {
    const current = a.getAttribute('href') === `#/${r.name}` || (r.name === 'subject' && a.getAttribute('href') === '#/overview');
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const started = performance.now();
  let nodes;
  try {
    nodes = await kPages[r.name].render(r.args, r.query, render);
  } catch (e) {
    nodes = [document.createElement('h1'), errorBox(e)];
    nodes[0].textContent = 'Something went wrong';
    nodes[0].tabIndex = -1;
  }
  if (mine !== rendering) return;  // a newer navigation won
  main.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  const h1 = main.querySelector('h1');
  document.title = `${h1 ? h1.textContent : 'trialbridge'} · trialbridge console`;
  if (h1 && render.moved) h1.focus();
  render.moved = true;
  // For the tests (and curious operators): which page is shown and how long it took.
  document.body.dataset.ready = r.name;
  document.body.dataset.ms = String(Math.round(performance.now() - started));
}

// The token dialog; `refusal` is the server's reason when it answered 401 (with no token: it
// needs one; with one: it refused it, and says why).
function tokenDialog(refusal) {
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  const why = document.getElementById('token-error');
  why.textContent = !refusal ? '' : token() ? `The server refused this token: ${refusal}` : 'This server needs a bearer token.';
  if (dialog.open) return;
  input.value = token();
  dialog.showModal();
}

document.getElementById('token-button').addEventListener('click', () => tokenDialog(''));
document.getElementById('token-dialog').addEventListener('close', (ev) => {
  const v = ev.target.returnValue;
  if (v === 'save') { setToken(document.getElementById('token-input').value); say('Token saved for this tab.'); render(); }
  if (v === 'clear') { setToken(''); say('Token forgotten.'); render(); }
});
window.addEventListener('tb-auth-needed', (ev) => tokenDialog(ev.detail));
window.addEventListener('hashchange', render);
render();
