// The platelet chart (uPlot): counts over time, the IWG thresholds (30 and 100 x10^9/L), twice
// the baseline, and the doses as vertical markers; with the same points as a table for screen
// readers and for checking.
import uPlot from '../vendor/uPlot.esm.js';
import { fmtDate, h, table } from '../ui.js';

const kColours = { count: '#1f5fa8', r: '#b25e00', cr: '#1d7a3a', base: '#7a3e9d', dose: '#b3261e' };

function width() {
  const main = document.getElementById('main');
  return Math.max(280, Math.min(1100, (main?.clientWidth || 800) - 48));
}

export function plateletChart(counts, doses, baseline) {
  if (counts.length === 0) return h('p', { class: 'empty' }, 'No platelet count for this subject.');
  const xs = counts.map((c) => c.t);
  const flat = (v) => xs.map(() => v);
  const series = [{}, { label: 'platelets (x10^9/L)', stroke: kColours.count, width: 2, points: { show: true, size: 6 } },
    { label: 'response 30', stroke: kColours.r, dash: [6, 4], points: { show: false } },
    { label: 'complete response 100', stroke: kColours.cr, dash: [6, 4], points: { show: false } }];
  const data = [xs, counts.map((c) => c.value), flat(30), flat(100)];
  if (baseline) {
    series.push({ label: `2x baseline (${2 * baseline.value})`, stroke: kColours.base, dash: [2, 4], points: { show: false } });
    data.push(flat(2 * baseline.value));
  }
  const drawDoses = (u) => {
    const { ctx } = u;
    ctx.save();
    ctx.strokeStyle = kColours.dose;
    ctx.setLineDash([]);
    ctx.lineWidth = 2 * devicePixelRatio;
    for (const d of doses) {
      const x = u.valToPos(d.t, 'x', true);
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
    }
    ctx.restore();
  };
  const lo = Math.min(...xs, ...doses.map((d) => d.t));
  const hi = Math.max(...xs, ...doses.map((d) => d.t));
  const holder = h('div', { class: 'chart', role: 'img', 'aria-label': `Platelet count of ${counts.length} results from ${fmtDate(counts[0].obs.effectiveDateTime)} to ${fmtDate(counts[counts.length - 1].obs.effectiveDateTime)}, with the thresholds 30 and 100 x10^9/L${baseline ? ' and twice the baseline' : ''}, and ${doses.length} doses marked in red` });
  const plot = new uPlot({
    width: width(), height: 280, series,
    scales: { x: { time: true, range: () => [lo - 86400 * 3, hi + 86400 * 3] }, y: { range: (u, min, max) => [0, Math.max(120, max * 1.1)] } },
    axes: [{}, { label: 'x10^9/L' }],
    hooks: { draw: [drawDoses] },
  }, data, holder);
  const onResize = () => { if (!holder.isConnected) { removeEventListener('resize', onResize); return; } plot.setSize({ width: width(), height: 280 }); };
  addEventListener('resize', onResize);
  return [
    h('p', { class: 'legend-note' }, h('span', { class: 'swatch dose' }), ` doses (${doses.length})`, baseline ? ` · baseline ${baseline.value} x10^9/L on ${fmtDate(baseline.obs.effectiveDateTime)}` : ' · no baseline (no dose yet)'),
    holder,
    h('details', {}, h('summary', {}, `The ${counts.length} platelet counts as a table`),
      table('Platelet counts', ['date', 'x10^9/L'], counts.map((c) => ({ attrs: { 'data-platelet': String(c.value) }, cells: [fmtDate(c.obs.effectiveDateTime), c.value] })))),
  ];
}
