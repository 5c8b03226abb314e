/**
 * The status page served at `/`: one self-contained HTML document (no build chain, no external
 * assets, so it works from the container and behind a port-forward) that polls `/status` every
 * second and shows what the operator of the article had to piece together from three tools:
 *   - lag per partition with a trend line, its class and the retention-breach ETA
 *     (`kafka-consumer-groups --describe` plus the trend);
 *   - the stage table: back-pressured and busy per stage, the bottleneck marked (Flink's tab);
 *   - the controller: batch size, concurrency, paused partitions and why it last changed;
 *   - the scale hint and the most recent dead-letter reasons.
 * The trend history lives in the page (the last 120 lag samples per partition), so the server
 * keeps no per-viewer state. The same numbers are on /metrics.
 *
 * Kept as a TypeScript string so `npm run build` ships it in dist/ with everything else. Text
 * from the status document is inserted with textContent only (dead-letter reasons can contain
 * anything a destination put in an error message).
 */
export const statusPageHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sluice status</title>
<style>
  :root { --fg: #1d2430; --muted: #647084; --line: #dde2ea; --bg: #f6f7f9; --card: #fff;
          --ok: #1f8a4c; --low: #b7791f; --high: #c53030; --accent: #2b6cb0; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
  header { display: flex; align-items: center; gap: 16px; padding: 12px 20px; background: #1d2430; color: #fff; }
  header h1 { font-size: 18px; margin: 0; font-weight: 600; letter-spacing: .3px; }
  header .meta { color: #c5cbd6; font-size: 13px; }
  .badge { display: inline-block; padding: 2px 10px; border-radius: 10px; font-weight: 600; font-size: 12px; }
  .badge.ready { background: var(--ok); color: #fff; } .badge.unready { background: var(--high); color: #fff; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px; padding: 16px 20px; }
  section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  h2 small { color: var(--muted); font-weight: 400; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
  #stages td { white-space: nowrap; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .4px; }
  td.num, th.num { text-align: right; }
  tr.bottleneck td { background: #fff5f5; font-weight: 600; }
  tr.bottleneck td:first-child { border-left: 4px solid var(--high); }
  .marker { color: var(--high); font-weight: 700; }
  .level { display: inline-block; min-width: 44px; text-align: center; padding: 1px 6px; border-radius: 4px; font-size: 12px; font-weight: 600; }
  .level.ok { background: #e6f4ea; color: var(--ok); } .level.low { background: #fdf3e1; color: var(--low); } .level.high { background: #fde8e8; color: var(--high); }
  .bar { display: inline-block; width: 70px; height: 8px; background: #eef1f5; border-radius: 4px; margin-left: 6px; vertical-align: middle; overflow: hidden; }
  .bar > span { display: block; height: 100%; }
  .cls { font-weight: 600; } .cls.steady { color: var(--ok); } .cls.spike { color: var(--low); } .cls.linear, .cls.exponential { color: var(--high); }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
  dt { color: var(--muted); } dd { margin: 0; font-variant-numeric: tabular-nums; }
  ul.reasons { margin: 4px 0 0; padding-left: 18px; }
  .muted { color: var(--muted); }
  .paused { color: var(--high); font-weight: 600; }
  svg.trend { display: block; }
  #error { display: none; background: var(--high); color: #fff; padding: 6px 20px; }
</style>
</head>
<body>
<header>
  <h1>sluice</h1>
  <span id="readiness" class="badge">…</span>
  <span class="meta" id="service"></span>
  <span class="meta" id="updated" style="margin-left:auto"></span>
</header>
<div id="error"></div>
<main>
  <section class="wide" id="lag-section">
    <h2>Lag per partition <small id="lag-total"></small></h2>
    <table id="lag"><thead><tr>
      <th>Topic</th><th class="num">Partition</th><th class="num">Lag</th><th>Trend</th><th class="num">Slope</th>
      <th>Class</th><th>Retention ETA</th><th>State</th>
    </tr></thead><tbody></tbody></table>
    <p class="muted" id="lag-empty">No lag sample yet.</p>
  </section>
  <section id="stages-section">
    <h2>Stages <small>share of the last window; the bottleneck is busy but not back-pressured</small></h2>
    <table id="stages"><thead><tr><th>Stage</th><th>Back-pressured</th><th>Busy</th><th></th></tr></thead><tbody></tbody></table>
    <p class="muted" id="stages-empty">No stage measurements yet.</p>
  </section>
  <section id="controller-section">
    <h2>Controller</h2>
    <dl id="controller"></dl>
    <h2 style="margin-top:12px">Last change <small id="last-change-age"></small></h2>
    <ul class="reasons" id="last-change"></ul>
  </section>
  <section class="wide" id="dead-letters-section">
    <h2>Recent dead letters <small id="dead-letter-total"></small></h2>
    <table id="dead-letters"><thead><tr><th>When</th><th>Code</th><th>Class</th><th>Table</th><th class="num">Records</th><th>Reason</th></tr></thead><tbody></tbody></table>
    <p class="muted" id="dead-letters-empty">None since start.</p>
  </section>
</main>
<script>
"use strict";
const historyLength = 120;
const lagHistory = new Map();
let lastLagAt = null;

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}
function svgEl(tag, attributes) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}
function fill(id, rows, emptyId) {
  const body = document.querySelector('#' + id + ' tbody');
  body.replaceChildren(...rows);
  if (emptyId) document.getElementById(emptyId).style.display = rows.length === 0 ? '' : 'none';
}
const number = new Intl.NumberFormat('en-US');
function fmtInt(n) { return n === null || n === undefined ? '–' : number.format(Math.round(n)); }
function fmtSlope(s) { const v = Math.abs(s) < 0.05 ? 0 : s; return (v > 0 ? '+' : '') + v.toFixed(1) + '/s'; }
function fmtPct(r) { return (r * 100).toFixed(0) + ' %'; }
function fmtBytes(b) { return (b / 1048576).toFixed(1) + ' MiB'; }
function fmtDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d > 0) return d + 'd ' + h + 'h';
  if (h > 0) return h + 'h ' + m + 'm';
  if (m > 0) return m + 'm ' + (s % 60) + 's';
  return s + 's';
}
function fmtEta(eta) {
  if (!eta) return '–';
  if (eta.kind === 'none') return 'none (' + eta.reason + ')';
  return eta.seconds === 0 ? 'deleting now (' + eta.limitedBy + ')' : 'in ' + fmtDuration(eta.seconds) + ' (' + eta.limitedBy + ')';
}
/** "topic: 0, 1, 3 (memory)" per topic and cause, instead of one long line per partition. */
function pausedSummary(paused) {
  if (paused.length === 0) return 'none';
  const groups = new Map();
  for (const p of paused) {
    const key = p.topic + ' (' + p.causes.join(', ') + ')';
    groups.set(key, (groups.get(key) || []).concat(p.partition));
  }
  return [...groups].map(([key, parts]) => {
    const cut = key.lastIndexOf(' (');
    return key.slice(0, cut) + ': ' + parts.sort((a, b) => a - b).join(', ') + key.slice(cut);
  }).join('; ');
}
function level(ratio) { return ratio < 0.1 ? 'ok' : ratio <= 0.5 ? 'low' : 'high'; }
function levelCell(ratio) {
  const lv = level(ratio);
  const color = lv === 'ok' ? 'var(--ok)' : lv === 'low' ? 'var(--low)' : 'var(--high)';
  const bar = el('span', { class: 'bar' }, el('span', { style: 'width:' + Math.round(ratio * 100) + '%;background:' + color }));
  return el('td', {}, el('span', { class: 'level ' + lv }, lv.toUpperCase()), ' ', fmtPct(ratio), bar);
}

function trendLine(points) {
  const width = 140, height = 28;
  const svg = svgEl('svg', { class: 'trend', width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img' });
  if (points.length < 2) { svg.setAttribute('aria-label', 'not enough samples yet'); return svg; }
  const max = Math.max(1, ...points);
  // A short history is drawn at a readable scale (at least 20 slots), anchored at the right.
  const step = width / (Math.max(points.length, 20) - 1);
  const offset = width - step * (points.length - 1);
  const coords = points.map((v, i) => (offset + i * step).toFixed(1) + ',' + (height - 2 - (v / max) * (height - 4)).toFixed(1));
  const rising = points[points.length - 1] > points[0];
  svg.append(svgEl('polyline', { points: coords.join(' '), fill: 'none', stroke: rising ? '#c53030' : '#2b6cb0', 'stroke-width': 1.5 }));
  svg.setAttribute('aria-label', 'lag from ' + points[0] + ' to ' + points[points.length - 1]);
  return svg;
}

function render(status) {
  const c = status.controller;
  const ready = status.readiness.ready;
  const badge = document.getElementById('readiness');
  badge.textContent = ready ? 'READY' : 'NOT READY';
  badge.className = 'badge ' + (ready ? 'ready' : 'unready');
  badge.title = status.readiness.reasons.join('\\n');
  const svc = status.service;
  document.getElementById('service').textContent = svc
    ? svc.destination + ' · group ' + svc.groupId + ' · ' + status.assignment.length + ' partition(s) assigned'
      + (ready ? '' : ' · ' + status.readiness.reasons.join('; '))
    : '';
  document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();

  // Lag and trend.
  const lag = c.lag;
  if (lag && lag.at !== lastLagAt) {
    lastLagAt = lag.at;
    for (const p of lag.partitions) {
      const key = p.topic + ':' + p.partition;
      const series = lagHistory.get(key) || [];
      series.push(p.lag);
      if (series.length > historyLength) series.shift();
      lagHistory.set(key, series);
    }
  }
  const etas = new Map((c.retention.partitions || []).map((e) => [e.topic + ':' + e.partition, e.eta]));
  const paused = new Map(c.paused.map((p) => [p.topic + ':' + p.partition, p.causes]));
  const hot = new Set((lag ? lag.hot : []).map((h) => h.topic + ':' + h.partition));
  const lagRows = (lag ? lag.partitions : []).slice().sort((a, b) => a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1).map((p) => {
    const key = p.topic + ':' + p.partition;
    const causes = paused.get(key);
    const state = causes ? el('span', { class: 'paused' }, 'paused (' + causes.join(', ') + ')') : hot.has(key) ? el('span', { class: 'paused' }, 'hot partition') : el('span', { class: 'muted' }, 'fetching');
    return el('tr', { 'data-partition': key, 'data-lag': p.lag, 'data-class': p.lagClass },
      el('td', {}, p.topic), el('td', { class: 'num' }, p.partition), el('td', { class: 'num lag' }, fmtInt(p.lag)),
      el('td', {}, trendLine(lagHistory.get(key) || [])), el('td', { class: 'num' }, fmtSlope(p.shortSlope)),
      el('td', {}, el('span', { class: 'cls ' + p.lagClass }, p.lagClass)), el('td', {}, fmtEta(etas.get(key))), el('td', {}, state));
  });
  fill('lag', lagRows, 'lag-empty');
  document.getElementById('lag-total').textContent = lag
    ? 'total ' + fmtInt(lag.total.lag) + ' records, ' + fmtSlope(lag.total.shortSlope) + ', ' + lag.total.lagClass
      + (c.retention.earliest ? ' · first retention breach ' + fmtEta(c.retention.earliest.eta) + ' on ' + c.retention.earliest.topic + ':' + c.retention.earliest.partition : '')
    : '';

  // Stage table.
  const stages = c.stages ? c.stages.stages : [];
  fill('stages', stages.map((s) => {
    const isBottleneck = s.name === c.bottleneck;
    return el('tr', { 'data-stage': s.name, 'data-bottleneck': isBottleneck, class: isBottleneck ? 'bottleneck' : '' },
      el('td', {}, s.name), levelCell(s.backpressuredRatio), levelCell(s.busyRatio),
      el('td', { class: 'marker' }, isBottleneck ? '← bottleneck' : ''));
  }), 'stages-empty');

  // Controller.
  const facts = [
    ['Batch size', fmtInt(c.batchSize) + ' rows'],
    ['Concurrency', c.concurrency + ' (last good ' + c.lastGoodConcurrency + ')'],
    ['Writes in flight', c.inFlightWrites + (c.oldestWriteMs !== null ? ', oldest ' + fmtDuration(c.oldestWriteMs / 1000) : '')],
    ['Write latency', c.writeLatencyMs ? Math.round(c.writeLatencyMs.mean) + ' ms (EWMA)' : '–'],
    ['In-flight memory', fmtBytes(c.inflight.usedBytes) + ' of ' + fmtBytes(c.inflight.maxBytes) + ' (pause at ' + fmtBytes(c.inflight.pauseAtBytes) + ')'],
    ['Sink', c.sinkSaturated ? 'saturated: partitions paused until a write succeeds' : 'accepting writes'],
    ['Paused partitions', pausedSummary(c.paused)],
    ['Records waiting', fmtInt(status.unwrittenRecords)],
    ['Bottleneck', c.bottleneck || 'none'],
  ];
  if (status.scaleHint) facts.push(['Desired replicas', status.scaleHint.replicas + ' — ' + status.scaleHint.reason]);
  document.getElementById('controller').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { 'data-fact': k }, v)]));
  const change = c.lastChange;
  document.getElementById('last-change').replaceChildren(...(change ? change.reasons.map((r) => el('li', {}, r)) : [el('li', { class: 'muted' }, 'no change since start')]));
  document.getElementById('last-change-age').textContent = change ? fmtDuration((c.at - change.at) / 1000) + ' ago' : '';

  // Dead letters.
  const dl = status.deadLetters || { totalRecords: 0, recent: [] };
  document.getElementById('dead-letter-total').textContent = fmtInt(dl.totalRecords) + ' record(s) since start';
  fill('dead-letters', dl.recent.map((d) => el('tr', { 'data-code': d.code },
    el('td', {}, new Date(d.at).toLocaleTimeString()), el('td', {}, d.code), el('td', {}, d.errorClass),
    el('td', {}, d.table || '–'), el('td', { class: 'num' }, d.records), el('td', {}, d.reason))), 'dead-letters-empty');
}

async function poll() {
  const error = document.getElementById('error');
  try {
    const response = await fetch('status', { cache: 'no-store' });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    render(await response.json());
    error.style.display = 'none';
    document.body.dataset.loaded = 'true';
  } catch (e) {
    error.textContent = 'cannot read /status: ' + e.message;
    error.style.display = 'block';
  }
  setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
`;
