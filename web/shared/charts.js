// The charts of the portal and the console, drawn with uPlot (npm "uplot"):
// usage per day, availability per day against 99.95 %, processing time per
// day (mean, p50/p95 of per-minute means, max) against 100 ms and 3 s.
// Each chart gets a text alternative (a caption with the figures) for
// screen readers.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { el } from './api.js';

function frame(title, summary) {
  const box = el('figure', { class: 'chart', 'aria-label': title });
  const cap = el('figcaption', {}, el('strong', {}, title), ' ', el('span', { class: 'muted' }, summary));
  box.append(cap);
  return box;
}

function width(parent) { return Math.max(320, Math.min(1000, (parent.clientWidth || 900) - 16)); }

export function usageChart(parent, days) {
  const total = days.reduce((a, d) => a + d.signatures, 0);
  const box = frame('每日签名量 Signatures per day', `(${days.length} 天 days, ${total} 次 signatures)`);
  box.dataset.total = String(total);
  parent.append(box);
  new uPlot({
    width: width(parent), height: 220,
    series: [{}, { label: '签名 signatures', stroke: '#0b3d6b', fill: 'rgba(11,61,107,0.15)' }],
    axes: [{}, { label: '次 count' }],
    scales: { x: { time: true } },
  }, [days.map((d) => d.day), days.map((d) => d.signatures)], box);
}

export function availabilityChart(parent, days, targetPct = 99.95) {
  const pct = days.map((d) => (d.requests > 0 ? (100 * d.normal) / d.requests : null));
  const box = frame('每日可用性 Availability per day', `(目标 target ${targetPct} %)`);
  parent.append(box);
  new uPlot({
    width: width(parent), height: 220,
    series: [{}, { label: '正常应答 normal answers %', stroke: '#1b5e20', spanGaps: false },
      { label: `目标 target ${targetPct} %`, stroke: '#a00000', dash: [6, 4] }],
    scales: { x: { time: true }, y: { range: [99, 100] } },
    axes: [{}, { label: '%' }],
  }, [days.map((d) => d.day), pct, days.map(() => targetPct)], box);
}

export function latencyChart(parent, days, avgTarget = 100, maxTarget = 3000) {
  const box = frame('处理时间 Processing time', `(承诺 promises: 平均 mean ≤ ${avgTarget} ms, 最长 max ≤ ${maxTarget} ms)`);
  parent.append(box);
  const ms = (f) => days.map((d) => (d.requests > 0 ? d[f] : null));
  new uPlot({
    width: width(parent), height: 240,
    series: [{}, { label: 'mean ms', stroke: '#0b3d6b' }, { label: 'p50 ms', stroke: '#6a1b9a' },
      { label: 'p95 ms', stroke: '#d35400' }, { label: 'max ms', stroke: '#4a4a4a' },
      { label: `${avgTarget} ms`, stroke: '#a00000', dash: [6, 4] },
      { label: `${maxTarget} ms`, stroke: '#a00000', dash: [2, 4] }],
    scales: { x: { time: true }, y: { distr: 3 } },
    axes: [{}, { label: 'ms (log)' }],
  }, [days.map((d) => d.day), ms('avg_ms'), ms('p50_ms'), ms('p95_ms'), ms('max_ms'),
    days.map(() => avgTarget), days.map(() => maxTarget)], box);
}

// Monthly availability (the SLA's figure) against the target, one bar per month.
export function monthlyChart(parent, months, targetPct = 99.95) {
  const box = frame('每月可用性 Availability per month', `(目标 target ${targetPct} %)`);
  parent.append(box);
  const bars = uPlot.paths.bars({ size: [0.6, 60] });
  new uPlot({
    width: width(parent), height: 200,
    series: [{}, { label: 'availability %', stroke: '#0b3d6b', fill: 'rgba(11,61,107,0.3)', paths: bars },
      { label: `目标 target ${targetPct} %`, stroke: '#a00000', dash: [6, 4] }],
    scales: { x: { time: false }, y: { range: [99, 100] } },
    axes: [{ values: (u, ticks) => ticks.map((t) => (months[t] ? months[t].month : '')) }, { label: '%' }],
  }, [months.map((_, i) => i), months.map((m) => m.pct), months.map(() => targetPct)], box);
}
