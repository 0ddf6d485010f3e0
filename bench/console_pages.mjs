// The web console's page times (docs/PERFORMANCE.md, "Web console page times"): the budget is
// 300 ms per page locally with a trial of 40 subjects and two years of weekly results.
//
// Starts `trialbridge serve` with the reference trial, seeds it through the REST API as the
// console test does (tests/console/seed.mjs: the sample subjects and AEs, 40 generated subjects x
// 104 weekly platelet counts) and puts two messages in the quarantine over MLLP; then, in Debian's
// headless chromium (puppeteer-core from tests/peers), shows each page `--rounds` times warm
// (another page between two loads) and reports, per page, the time from the route change to the
// page marking itself ready (every request answered, the page and its chart drawn): median, p90
// and max. It also times the subject page's largest search with and without `_sort=date` over
// HTTP alone (the store's part).
//
//   node bench/console_pages.mjs --trialbridge build-release/adapter/cli/trialbridge --source . \
//        [--subjects 40] [--weeks 104] [--rounds 15] [--json FILE]
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { rest, seedLoad, seedSamples } from '../tests/console/seed.mjs';
import { sendMllp, startServer, stopServer } from '../tests/console/serve.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
  return acc;
}, []));
const source = resolve(args.source || '.');
const trialbridge = resolve(args.trialbridge || 'build-release/adapter/cli/trialbridge');
const subjects = Number(args.subjects || 40);
const weeks = Number(args.weeks || 104);
const rounds = Number(args.rounds || 15);
const kBudgetMs = 300;
const require = createRequire(join(source, 'tests/peers/package.json'));
const puppeteer = require('puppeteer-core');
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);

function quantiles(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p90: at(0.9), max: s[s.length - 1] };
}

async function timeFetch(url, n) {
  const ms = [];
  for (let i = 0; i < n; ++i) {
    const t0 = performance.now();
    const r = await fetch(url, { headers: { Accept: 'application/fhir+json' } });
    await r.arrayBuffer();
    ms.push(performance.now() - t0);
  }
  return quantiles(ms);
}

async function main() {
  if (!chromium) throw new Error('chromium is not installed (apt package chromium)');
  const server = await startServer({ trialbridge, source });
  let browser;
  try {
    const acks = await sendMllp(server.mllp, [
      'MSH|^~\\&|LIS|HOSP|TB|TRIAL|20250301080000||ORU^R01|BENCH-OBX-1|P|2.5.1\rPID|1||X1^^^HOSP^MR\rOBR|1\rOBX|1|NM|777-3^PLT^LN||45|10*9/L\r',
      'MSH|^~\\&|LIS|HOSP|TB|TRIAL|20250301080000||ADT^A01|BENCH-TYPE-1|P|2.5.1\rPID|1||X1^^^HOSP^MR\r',
    ].map((m) => Buffer.from(m, 'latin1')));
    await seedSamples(server.base, trialbridge, source);
    const t0 = performance.now();
    await seedLoad(server.base, subjects, weeks);
    const observations = (await rest(server.base, 'GET', '/Observation?_summary=count')).total;
    console.log(`seeded ${subjects} subjects x ${weeks} weeks (${observations} Observations) in ${Math.round(performance.now() - t0)} ms; quarantine ACKs ${acks.join(' ')}`);
    const entry = (await (await fetch(`${server.root}/mllp/quarantine?status=open&_count=1`)).json()).entries[0].id;

    browser = await puppeteer.launch({ executablePath: chromium, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(`${server.root}/console/#/validate`);
    await page.waitForSelector('body[data-ready="validate"]');
    const show = async (hash, name) => {
      const start = performance.now();
      await page.evaluate((h) => { document.body.dataset.ready = ''; location.hash = h; }, hash);
      await page.waitForSelector(`body[data-ready="${name}"]`, { timeout: 30000 });
      return performance.now() - start;
    };
    const pages = [
      ['study overview', '#/overview', 'overview'],
      ['subject GEN-001 (104 counts)', '#/subject/gen-rs-001', 'subject'],
      ['subject ITP-0001 (sample)', '#/subject/nct06813157-rs-ITP-0001', 'subject'],
      ['draft AE inbox', '#/ae-inbox', 'ae-inbox'],
      ['quarantine list', '#/quarantine', 'quarantine'],
      ['quarantine entry (segments)', `#/quarantine/${entry}`, 'quarantine'],
      ['registries', '#/registries', 'registries'],
      ['validate', '#/validate', 'validate'],
    ];
    const results = [];
    for (const [label, hash, name] of pages) {
      await show(hash, name);  // cold load, not counted
      const ms = [];
      for (let i = 0; i < rounds; ++i) {
        await show(name === 'validate' ? '#/registries' : '#/validate', name === 'validate' ? 'registries' : 'validate');
        ms.push(await show(hash, name));
      }
      results.push({ page: label, ...quantiles(ms) });
    }
    const search = `${server.base}/Observation?subject=Patient/gen-pt-001&_count=1000`;
    const http = {
      'Observation?subject= (104)': await timeFetch(search, rounds),
      'Observation?subject=&_sort=date (104)': await timeFetch(`${search}&_sort=date`, rounds),
    };
    console.log(`\n${rounds} warm loads per page, ms (budget ${kBudgetMs} ms):\n`);
    console.log('| page | median | p90 | max |\n| --- | --- | --- | --- |');
    for (const r of results) console.log(`| ${r.page} | ${Math.round(r.median)} | ${Math.round(r.p90)} | ${Math.round(r.max)} |`);
    console.log('\nThe subject page\'s largest search over HTTP alone (ms):\n');
    console.log('| request | median | p90 | max |\n| --- | --- | --- | --- |');
    for (const [k, v] of Object.entries(http)) console.log(`| ${k} | ${v.median.toFixed(1)} | ${v.p90.toFixed(1)} | ${v.max.toFixed(1)} |`);
    const over = results.filter((r) => r.median > kBudgetMs);
    console.log(over.length ? `\nover the budget (median): ${over.map((r) => r.page).join(', ')}` : '\nevery page under the budget (median)');
    if (args.json) writeFileSync(args.json, JSON.stringify({ subjects, weeks, rounds, observations, pages: results, http }, null, 1));
  } finally {
    if (browser) await browser.close();
    await stopServer(server);
  }
}

main().catch((e) => { console.error(e.stack || e); process.exitCode = 1; });
