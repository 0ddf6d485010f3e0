// The web console in a real browser (docs/console.md): Debian's chromium, headless, driven by
// puppeteer-core, against a running `trialbridge serve` with the reference trial, the sample
// subjects and adverse events, draft AEs and a generated load (40 subjects x 104 weekly counts).
// Checks what each page shows against the store (read through the REST API), confirms and
// rejects draft AEs through the UI and reads them back, keyboard navigation, an axe-core scan
// with no serious or critical violation, at 1280x800 and 390x844, and times each page.
// Screenshots go to --artefacts (and to docs/console/ with --docs).
//
//   node tests/console/console_test.mjs --trialbridge BIN --source DIR --artefacts DIR
//        [--docs] [--subjects 40] [--weeks 104]
// It times nothing (tests are not timed): bench/console_pages.mjs measures the page times.
// Ends with "console: N passed, M failed"; exit status 1 when a check failed.
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, copyFileSync, writeFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kItp1, kItp1Counts, rest, seedLoad, seedSamples } from './seed.mjs';
import { sendMllp, startServer, stopServer } from './serve.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
  return acc;
}, []));
const source = resolve(args.source);
const bin = { trialbridge: args.trialbridge, source };
const peers = join(source, 'tests/peers');
const require = createRequire(join(peers, 'package.json'));
const puppeteer = require('puppeteer-core');
const axePath = require.resolve('axe-core/axe.min.js');
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const artefacts = args.artefacts || mkdtempSync(join(tmpdir(), 'tb-console-'));
mkdirSync(artefacts, { recursive: true });

let passed = 0;
let failed = 0;
function check(ok, what, detail = '') {
  if (ok) { passed++; console.log(`ok   ${what}`); } else { failed++; console.log(`FAIL ${what}${detail ? `: ${detail}` : ''}`); }
}

async function show(page, hash, name) {
  // (The status toast of an earlier action is cleared, so that it is not in the screenshots.)
  await page.evaluate((h) => { document.getElementById('status').textContent = ''; document.body.dataset.ready = ''; location.hash = h; }, hash);
  await page.waitForSelector(`body[data-ready="${name}"]`, { timeout: 15000 });
}

async function axe(page, label) {
  await page.addScriptTag({ path: axePath });
  const res = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `axe: no serious violation on ${label}`, bad.map((v) => `${v.id} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`).join(', '));
}


// A configuration with a registry target writing files every `interval` seconds (the registries
// page's dry run).
function registryConfig(dir, interval) {
  mkdirSync(join(dir, 'registry-files'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ registries: { files: { kind: 'file', directory: join(dir, 'registry-files'), intervalSeconds: interval } } }));
  return ['--config', join(dir, 'config.json')];
}

async function registryStatus(base) {
  const parts = (await rest(base, 'GET', '/$registry-status')).parameter?.[0]?.part || [];
  return Object.fromEntries(parts.map((p) => [p.name, p.valueInteger ?? p.valueBoolean ?? (p.part ? true : p.valueString)]));
}

// A first run, before the main one, on the same database: a sample message of subject ITP-0002
// sent while the trial's secret is missing waits in the quarantine (AE), to be retried once the
// subject is enrolled; and the registry target publishes the trial (every second), so that the
// main run (every hour) has a published record to compare a change with.
const kWaiting = 'nct06813157-itp-0002-latin1.hl7';
async function firstRun() {
  const dir = mkdtempSync(join(tmpdir(), 'tb-console-serve-'));
  const first = await startServer({ ...bin, dir, secret: false, extra: registryConfig(dir, 1) });
  const acks = await sendMllp(first.mllp, [readFileSync(join(source, 'samples/hl7v2', kWaiting))]);
  check(acks[0] === 'AE', 'without the trial\'s secret a subject\'s message waits in the quarantine (AE)', acks.join(' '));
  let st = {};
  for (let i = 0; i < 100 && !(st.pending === 0 && readdirSync(join(dir, 'registry-files')).length > 0); ++i) {
    await new Promise((r) => setTimeout(r, 100));
    st = await registryStatus(first.base);
  }
  await stopServer(first, false);
  return dir;
}

// A JWKS with one RSA key, and tokens signed by it (or by another key: refused).
function tokenKit() {
  const b64 = (x) => Buffer.from(x).toString('base64url');
  const keys = [generateKeyPairSync('rsa', { modulusLength: 2048 }), generateKeyPairSync('rsa', { modulusLength: 2048 })];
  const jwks = { keys: [{ ...keys[0].publicKey.export({ format: 'jwk' }), kid: 'console-test', alg: 'RS256', use: 'sig' }] };
  const tokenBy = (key, scope) => {
    const head = b64(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'console-test' }));
    const body = b64(JSON.stringify({ sub: 'monitor', client_id: 'console-monitor', scope, exp: Math.floor(Date.now() / 1000) + 600 }));
    return `${head}.${body}.${sign('sha256', Buffer.from(`${head}.${body}`), key.privateKey).toString('base64url')}`;
  };
  return { jwks, good: tokenBy(keys[0], 'system/*.rs system/Quarantine.r'), wrong: tokenBy(keys[1], 'system/*.rs') };
}

// With authentication on, the console asks for a token; a token the server refuses is said so
// with the server's reason; the right one loads the pages.
async function tokenDialogTest(browser) {
  const kit = tokenKit();
  const dir = mkdtempSync(join(tmpdir(), 'tb-console-auth-'));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(kit.jwks));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ auth: { jwks: join(dir, 'jwks.json') } }));
  const server = await startServer({ ...bin, dir, secret: false, extra: ['--config', join(dir, 'config.json')] });
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await page.setBypassCSP(true);
    await page.goto(`${server.root}/console/#/overview`);
    await page.waitForSelector('#token-dialog[open]', { timeout: 10000 });
    const asked = await page.$eval('#token-error', (e) => e.textContent);
    check(asked === 'This server needs a bearer token.', 'token: with authentication on, the console asks for a token', asked);
    await axe(page, 'the token dialog');
    const submit = async (value) => {
      // (The page the refused token drew is marked ready too: unmark it before the next render.)
      await page.evaluate(() => { document.body.dataset.ready = ''; document.getElementById('token-error').textContent = ''; });
      await page.$eval('#token-input', (t, v) => { t.value = v; }, value);
      await page.click('#token-form button[value=save]');
    };
    await submit(kit.wrong);
    await page.waitForFunction(() => document.getElementById('token-dialog').open && document.getElementById('token-error').textContent.startsWith('The server refused this token:'), { timeout: 10000 });
    const refused = await page.$eval('#token-error', (e) => e.textContent);
    check(/refused this token: .+/.test(refused), 'token: a wrong token is refused with the server\'s reason', refused);
    await page.screenshot({ path: join(artefacts, 'token.png') });
    await submit(kit.good);
    await page.waitForSelector('body[data-ready="overview"]', { timeout: 10000 });
    const shown = await page.$eval('main', (m) => m.innerText);
    const open = await page.$eval('#token-dialog', (d) => d.open);
    check(!open && shown.includes('NCT06813157') && !shown.includes('Something went wrong'), 'token: the right token loads the pages', shown.slice(0, 200));
    await show(page, '#/quarantine', 'quarantine');
    check((await page.$eval('main', (m) => m.innerText)).includes('message(s) open'), 'token: its scopes read the quarantine too');
  } finally {
    await context.close();
    await stopServer(server);
  }
}

async function main() {
  if (!chromium) throw new Error('chromium is not installed (apt package chromium; deploy/install-deps.sh installs it)');
  const dir = await firstRun();
  const server = await startServer({ ...bin, dir, extra: registryConfig(dir, 3600) });
  const fhirBase = server.base;
  let browser;
  try {
    // The sample v2 messages over MLLP (serve --mllp-port 0), and two it cannot use, which go to
    // the quarantine: an OBX without its result status (OBX-11) and an unsupported message type.
    {
      const dir = join(source, 'samples/hl7v2');
      const files = readdirSync(dir).filter((f) => f.endsWith('.hl7') && !f.includes('batch')).sort();
      const bad = [
        'MSH|^~\\&|LIS|HOSP|TB|TRIAL|20250301080000||ORU^R01|BAD-OBX-1|P|2.5.1\rPID|1||X1^^^HOSP^MR\rOBR|1\rOBX|1|NM|777-3^PLT^LN||45|10*9/L\r',
        'MSH|^~\\&|LIS|HOSP|TB|TRIAL|20250301080000||ADT^A01|BAD-TYPE-1|P|2.5.1\rPID|1||X1^^^HOSP^MR\r',
      ];
      const acks = await sendMllp(server.mllp, [...files.map((f) => readFileSync(join(dir, f))), ...bad.map((b) => Buffer.from(b, 'latin1'))]);
      console.log(`MLLP ACKs: ${acks.join(' ')}`);
    }
    const samples = await seedSamples(fhirBase, resolve(args.trialbridge), source);
    const itp1Doses = samples.entry.filter((e) => e.resource.resourceType === 'MedicationAdministration' && e.resource.subject.reference === kItp1).length;
    const t0 = performance.now();
    await seedLoad(fhirBase, Number(args.subjects || 40), Number(args.weeks || 104));
    console.log(`seeded ${args.subjects || 40} generated subjects x ${args.weeks || 104} weeks in ${Math.round(performance.now() - t0)} ms`);

    // The assets: built in, with their type and ETag, revalidated with 304.
    const idx = await fetch(`${server.root}/console/`);
    check(idx.status === 200 && idx.headers.get('content-type').startsWith('text/html'), 'GET /console/ serves index.html');
    const etag = idx.headers.get('etag');
    const again = await fetch(`${server.root}/console/`, { headers: { 'If-None-Match': etag } });
    check(again.status === 304, 'If-None-Match with the ETag gives 304');
    const js = await fetch(`${server.root}/console/vendor/uPlot.esm.js`);
    check(js.status === 200 && js.headers.get('content-type').startsWith('text/javascript'), 'uPlot is served from the binary');

    browser = await puppeteer.launch({ executablePath: chromium, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--font-render-hinting=none'] });
    const page = await browser.newPage();
    await page.setBypassCSP(true);  // to inject axe-core; the console itself runs under its CSP
    const consoleErrors = [];
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    // A 404 of an operation the server lacks is expected (the page says "not available").
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 404/.test(m.text())) consoleErrors.push(m.text()); });
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(`${server.root}/console/#/overview`);
    await page.waitForSelector('body[data-ready="overview"]');

    // Keyboard: the first Tab reaches the skip link, then the navigation; Enter on a link routes
    // and moves the focus to the page's heading.
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement.className === 'skip'), 'keyboard: the first Tab reaches the skip link');
    let reached = false;
    for (let i = 0; i < 8 && !reached; ++i) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement.getAttribute('href') === '#/ae-inbox');
    }
    check(reached, 'keyboard: Tab reaches the Draft AEs link');
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-ready="ae-inbox"]');
    check(await page.evaluate(() => document.activeElement.tagName === 'H1'), 'keyboard: after navigation the focus is on the heading');

    // Overview against the store.
    await show(page, '#/overview', 'overview');
    const subjectsInStore = (await rest(fhirBase, 'GET', '/ResearchSubject?study=ResearchStudy/nct06813157&_summary=count')).total;
    const rows = await page.$$eval('table caption', (cs) => cs.find((c) => c.textContent === 'Subjects of the study')?.closest('table').querySelectorAll('tbody tr').length || 0);
    check(rows === subjectsInStore, 'overview lists every subject of the store', `${rows} shown, ${subjectsInStore} stored`);
    const text = await page.$eval('main', (m) => m.innerText);
    check(text.includes('ITP-0001') && text.includes('ITP-0002') && text.includes('ITP-0003'), 'overview shows the sample subjects');
    check(/\/ 40/.test(text), 'overview shows the enrolment target of the trial (40)');
    const metrics = await (await fetch(`${server.root}/metrics`)).text();
    const metric = (name) => Number(new RegExp(`^${name}(?:\\{\\})? (\\S+)$`, 'm').exec(metrics)?.[1]);
    const accepted = metric('trialbridge_mllp_connections_total');
    check(accepted >= 1 && text.includes(`${accepted} accepted, ${metric('trialbridge_mllp_connections_refused_total')} refused`),
      'overview: the MLLP connections (accepted, refused) are the listener\'s', `${accepted}`);
    check(new RegExp(`${metric('trialbridge_v2_not_a_subject_total')}\\s*not a subject`).test(text), 'overview: the not-a-subject count is the server\'s');
    await page.screenshot({ path: join(artefacts, 'overview.png') });
    await axe(page, 'overview');

    // Subject ITP-0001: the platelet points are the store's.
    await show(page, '#/subject/nct06813157-rs-ITP-0001', 'subject');
    const stored = (await rest(fhirBase, 'GET', `/Observation?subject=${kItp1}&code=http://loinc.org|777-3&_count=1000`)).entry.map((e) => e.resource.valueQuantity.value).sort((a, b) => a - b);
    const shown = (await page.$$eval('tr[data-platelet]', (trs) => trs.map((t) => Number(t.dataset.platelet)))).sort((a, b) => a - b);
    check(JSON.stringify(shown) === JSON.stringify(stored) && shown.length === kItp1Counts.length, 'subject: the platelet points are the stored counts', `${shown} vs ${stored}`);
    check(await page.$('.chart canvas') !== null, 'subject: the chart is drawn');
    const legend = await page.$eval('.legend-note', (e) => e.innerText);
    check(itp1Doses > 0 && legend.includes(`doses (${itp1Doses})`) && legend.includes('baseline 18 '), 'subject: its doses marked, baseline the last count before the first dose', legend);
    const subjText = await page.$eval('main', (m) => m.innerText);
    check(subjText.includes('draft') && subjText.includes('Fever'), 'subject: its adverse events, drafts and confirmed');
    check(subjText.includes('inc-2'), 'subject: the eligibility worksheet lists the criteria');
    await page.screenshot({ path: join(artefacts, 'subject.png'), fullPage: true });
    await axe(page, 'subject');
    await show(page, '#/subject/gen-rs-001', 'subject');
    const genPoints = await page.$$eval('tr[data-platelet]', (trs) => trs.length);
    check(genPoints === Number(args.weeks || 104), 'subject: a generated subject shows all its weekly counts', String(genPoints));

    // Draft AE inbox: confirm one through the UI, read it back; reject the other with a reason.
    await show(page, '#/ae-inbox', 'ae-inbox');
    await page.screenshot({ path: join(artefacts, 'ae-inbox.png'), fullPage: true });
    await axe(page, 'ae-inbox');
    await page.select('#ae-draft-alt-0001-serious', 'SeriousResultsInHospitalization');
    await page.select('#ae-draft-alt-0001-related', 'possibly-related');
    await page.type('#ae-draft-alt-0001-note', 'checked with the site');
    await page.click('form[aria-label="Confirm draft-alt-0001"] button[type=submit]');
    await page.waitForFunction(() => (!document.getElementById('ae-draft-alt-0001-serious') && document.body.dataset.ready === 'ae-inbox') || document.querySelector('.form-error .error'), { timeout: 10000 });
    check(await page.$('.form-error .error') === null, 'the UI reports no error', await page.$eval('.form-error .error', (e) => e.innerText).catch(() => ''));
    const confirmed = await rest(fhirBase, 'GET', '/AdverseEvent/draft-alt-0001');
    check(confirmed.actuality === 'actual', 'AE confirmed through the UI reads back as actual');
    check(confirmed.seriousness?.coding?.[0]?.code === 'SeriousResultsInHospitalization', 'AE confirmed: seriousness as chosen');
    check(confirmed.suspectEntity?.[0]?.causality?.[0]?.assessment?.coding?.[0]?.code === 'possibly-related', 'AE confirmed: relatedness as chosen');
    const prov = await rest(fhirBase, 'GET', '/Provenance?target=AdverseEvent/draft-alt-0001');
    check(prov.total >= 1, 'AE confirmed: a Provenance records the decision');
    await page.type('#ae-draft-alt-0002-reason', 'lab error: haemolysed sample');
    await page.click('form[aria-label="Reject draft-alt-0002"] button[type=submit]');
    await page.waitForFunction(() => (!document.getElementById('ae-draft-alt-0002-reason') && document.body.dataset.ready === 'ae-inbox') || document.querySelector('.form-error .error'), { timeout: 10000 });
    check(await page.$('.form-error .error') === null, 'the UI reports no error', await page.$eval('.form-error .error', (e) => e.innerText).catch(() => ''));
    const gone = await fetch(`${fhirBase}/AdverseEvent/draft-alt-0002`);
    check(gone.status === 410, 'AE rejected through the UI is deleted (410)', String(gone.status));
    const why = await rest(fhirBase, 'GET', '/Provenance?target=AdverseEvent/draft-alt-0002');
    check(why.entry?.[0]?.resource?.reason?.[0]?.text === 'lab error: haemolysed sample', 'AE rejected: the reason is recorded');
    const audit = await rest(fhirBase, 'GET', '/AuditEvent?entity=AdverseEvent/draft-alt-0001&_summary=count').catch(() => null);
    check(audit && audit.total >= 1, 'AE decisions are in the audit log');

    // Quarantine: the open entries; one entry's segments with its error field highlighted and
    // nothing identifying; retry after the subject's enrolment lands the message; discard with a
    // reason removes it from the list and the audit shows it.
    await show(page, '#/quarantine', 'quarantine');
    const list = await (await fetch(`${server.root}/mllp/quarantine?status=open`)).json();
    const qText = await page.$eval('main', (m) => m.innerText);
    check(list.total >= 3 && qText.includes(`${list.total} message(s) open`), 'quarantine: the count is the store\'s', `${list.total}`);
    const rowsShown = await page.$$eval('main tbody tr', (trs) => trs.length);
    check(rowsShown === list.entries.length, 'quarantine: one row per open entry', `${rowsShown} vs ${list.entries.length}`);
    const badObx = list.entries.find((e) => e.controlId === 'BAD-OBX-1');
    await show(page, `#/quarantine/${badObx.id}`, 'quarantine');
    const detail = await page.$eval('main', (m) => m.innerText);
    check(detail.includes(badObx.reason), 'quarantine: an entry shows its reason', badObx.reason);
    const hit = await page.$eval('ol.fields li.hit', (li) => li.textContent).catch(() => '');
    check(/^OBX-11\b/.test(hit) && badObx.location.startsWith('OBX-11'), 'quarantine: the error\'s field is highlighted', `${hit} for ${badObx.location}`);
    const obx5 = await page.$$eval('ol.segments li li', (lis) => lis.map((l) => l.textContent).find((t) => t.startsWith('OBX-5 ')) || '');
    check(obx5 === 'OBX-5 45', 'quarantine: the fields are shown with their values', obx5);
    await page.screenshot({ path: join(artefacts, 'quarantine.png'), fullPage: true });
    await axe(page, 'quarantine');

    const waiting = list.entries.find((e) => e.messageType.startsWith('ORU') && e.controlId !== 'BAD-OBX-1');
    await show(page, `#/quarantine/${waiting.id}`, 'quarantine');
    const raw = readFileSync(join(source, 'samples/hl7v2', kWaiting), 'latin1');
    const pid = raw.split(/\r\n?|\n/).find((l) => l.startsWith('PID')).split('|');
    const personal = [pid[3].split('^')[0], pid[5].split('^')[0], pid[7]].filter((v) => v && v.length > 2);
    const shownText = await page.$eval('main', (m) => m.innerText);
    const leaked = personal.filter((v) => shownText.includes(v));
    check(personal.length === 3 && leaked.length === 0 && (await page.$$('ol.fields li.masked')).length > 0,
      'quarantine: the hospital identifier, name and birth date are masked by the server', leaked.join(', '));
    const before = (await rest(fhirBase, 'GET', '/Observation?subject=Patient/nct06813157-pt-ITP-0002&_summary=count')).total;
    await page.click(`form[aria-label="Retry ${waiting.id}"] button[type=submit]`);
    await page.waitForSelector('main .done, main .error', { timeout: 10000 });
    const retried = await (await fetch(`${server.root}/mllp/quarantine/${waiting.id}`)).json();
    const after = (await rest(fhirBase, 'GET', '/Observation?subject=Patient/nct06813157-pt-ITP-0002&_summary=count')).total;
    check(retried.status === 'retried' && after > before, 'quarantine: retry after the subject\'s enrolment lands the message', `${retried.status}, ${before} -> ${after} Observations`);

    const adt = list.entries.find((e) => e.controlId === 'BAD-TYPE-1');
    await show(page, `#/quarantine/${adt.id}`, 'quarantine');
    await page.type(`#q-${adt.id}-reason`, 'test message from the vendor');
    await page.click(`form[aria-label="Discard ${adt.id}"] button[type=submit]`);
    await page.waitForFunction(() => location.hash === '#/quarantine' && document.body.dataset.ready === 'quarantine', { timeout: 10000 });
    const ids = await page.$$eval('main tbody tr', (trs) => trs.map((t) => t.dataset.id));
    check(!ids.includes(adt.id) && ids.length === list.entries.length - 2, 'quarantine: a discarded message leaves the list', ids.join(','));
    await show(page, `#/quarantine/${adt.id}?status=all`, 'quarantine');
    const audited = await page.$$eval('main table', (ts) => ts.find((t) => t.querySelector('caption').textContent.startsWith('Decisions'))?.innerText || '');
    check(audited.includes('discard') && audited.includes('test message from the vendor'), 'quarantine: the audit shows the discard and its reason', audited);
    const ev = await rest(fhirBase, 'GET', `/AuditEvent?entity=Quarantine/${adt.id}`);
    check(ev.entry?.[0]?.resource?.entity?.[0]?.detail?.some((d) => d.valueString === 'test message from the vendor'), 'quarantine: the discard is in the audit log');

    // Registries: the state of $registry-status, and a dry run's diff after the study is retitled.
    const published = readdirSync(join(server.dir, 'registry-files')).length;
    const study = await rest(fhirBase, 'GET', '/ResearchStudy/nct06813157');
    await rest(fhirBase, 'PUT', '/ResearchStudy/nct06813157', { ...study, title: `${study.title} (retitled)` });
    await show(page, '#/registries', 'registries');
    const regText = await page.$eval('main', (m) => m.innerText);
    check(regText.includes('Target files') && /pending changes\s*[1-9]/.test(regText), 'registries: the target\'s state from $registry-status', regText.slice(0, 300));
    await page.click('button[data-target="files"]');
    await page.waitForSelector('.dry-run[data-done], .dry-run .error, .dry-run .unavailable', { timeout: 15000 });
    const diff = await page.$$eval('.dry-run tr[data-path]', (trs) => trs.map((t) => [...t.cells].map((c) => c.innerText)));
    const titled = diff.find(([path, , after]) => path.startsWith('protocolSection.identificationModule.') && after.includes('(retitled)'));
    check(titled && titled[1].includes(study.title) && !titled[1].includes('(retitled)'), 'registries: the dry run shows the retitled study field by field, before and after', JSON.stringify(diff).slice(0, 300));
    check(published === 1 && readdirSync(join(server.dir, 'registry-files')).length === 1, 'registries: the dry run wrote nothing', String(published));
    await page.screenshot({ path: join(artefacts, 'registries.png'), fullPage: true });
    await axe(page, 'registries');

    // Validate: an Observation with errors; the issues are listed and their lines marked.
    await show(page, '#/validate', 'validate');
    await page.$eval('#resource-text', (t) => { t.value = '{\n  "resourceType": "Observation",\n  "status": "bogus",\n  "code": {"text": "platelets"},\n  "valueQuantity": {"value": "a lot"}\n}'; });
    await page.click('form.validate button[type=submit]');
    await page.waitForSelector('#validate-results table');
    const marked = await page.$$eval('pre.annotated .issue-error', (ls) => ls.map((l) => l.id));
    check(marked.includes('line-3') && marked.includes('line-5'), 'validate: the lines with errors are marked', marked.join(','));
    await page.screenshot({ path: join(artefacts, 'validate.png'), fullPage: true });
    await axe(page, 'validate');

    // Narrow screen: no page scrolls sideways.
    await page.setViewport({ width: 390, height: 844 });
    for (const [hash, name] of [['#/overview', 'overview'], ['#/subject/nct06813157-rs-ITP-0001', 'subject'], ['#/ae-inbox', 'ae-inbox'], ['#/quarantine', 'quarantine'], ['#/registries', 'registries'], ['#/validate', 'validate']]) {
      await show(page, hash, name);
      const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(over <= 1, `narrow: ${name} fits 390 px`, `${over} px too wide`);
      await page.screenshot({ path: join(artefacts, `${name}-narrow.png`) });
    }
    check(consoleErrors.length === 0, 'no script error in the browser', consoleErrors.join(' | '));

    await page.setViewport({ width: 1280, height: 800 });
    await tokenDialogTest(browser);

    if (args.docs) {
      mkdirSync(join(source, 'docs/console'), { recursive: true });
      for (const n of ['overview', 'subject', 'ae-inbox', 'quarantine', 'registries', 'validate', 'subject-narrow', 'token']) {
        copyFileSync(join(artefacts, `${n}.png`), join(source, 'docs/console', `${n}.png`));
      }
    }
  } finally {
    if (browser) await browser.close();
    await stopServer(server);
  }
}

main().catch((e) => { failed++; console.log(`FAIL ${e.stack || e}`); }).finally(() => {
  console.log(`screenshots in ${artefacts}`);
  console.log(`console: ${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
});
