import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { LoadTestReport } from './report-types.js';
import { TARGETS, verdictOf } from './summary.js';

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JSON safe inside a `<script>` element: no `</script>` can close it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** uPlot (a small, well-kept charting library), inlined so the report is one self-contained file. */
function uPlotAssets(): { script: string; css: string } {
  const require = createRequire(import.meta.url);
  const dist = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');
  return { script: dist('uPlot.iife.min.js'), css: dist('uPlot.min.css') };
}

/** Why the drain took longer than the ingest: the waits the run imposes, in words. */
function drainExplanation(report: LoadTestReport): string {
  const waits = [
    ...(report.poisonInjected > 0
      ? [
          `${report.poisonInjected} poison messages must be received maxReceiveCount times, one visibility timeout apart, before SQS moves them to the DLQ`,
        ]
      : []),
    ...(report.lateInjected > 0
      ? [
          `${report.lateInjected} late notifications are held back until everything else was processed, then released`,
        ]
      : []),
  ];
  const tail = report.durationSeconds - report.ingestSeconds;
  return waits.length === 0
    ? `The pipeline drained ${tail.toFixed(1)} s after the last object's row: the last receives and deletes.`
    : `The pipeline drained ${tail.toFixed(1)} s after the last object's row because ${waits.join('; and ')}. Throughput is measured to the last object's row, not to the drain.`;
}

/**
 * The HTML report: a pass/fail banner, the run's options and date, every figure beside its target,
 * rows written per second (the baseline beside it), and the latency histogram with its percentiles
 * marked, drawn with uPlot.
 */
export function renderHtmlReport(
  report: LoadTestReport,
  summary: readonly [string, string][],
  generatedAt = new Date(),
): string {
  const verdict = verdictOf(report);
  const { script, css } = uPlotAssets();
  const rows = summary
    .map(
      ([name, value]) =>
        `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td><td>${escapeHtml(TARGETS[name] ?? '')}</td></tr>`,
    )
    .join('\n');
  const options = Object.entries(report.options)
    .map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(String(value))}</td></tr>`)
    .join('\n');
  const seconds = Math.max(report.throughputSeries.length, report.baseline?.throughputSeries.length ?? 0);
  const throughput = {
    x: Array.from({ length: seconds }, (_, second) => second),
    main: Array.from({ length: seconds }, (_, second) => report.throughputSeries[second] ?? 0),
    ...(report.baseline && {
      baseline: Array.from(
        { length: seconds },
        (_, second) => report.baseline?.throughputSeries[second] ?? 0,
      ),
    }),
  };
  const latency = {
    x: report.latencyHistogram.map((bucket) => bucket.from),
    counts: report.latencyHistogram.map((bucket) => bucket.count),
    marks: [
      ['p50', report.latencyMs.p50],
      ['p95', report.latencyMs.p95],
      ['p99', report.latencyMs.p99],
    ],
  };
  const banner = verdict.passed
    ? '<p class="banner pass">PASS: every version has exactly one row, every state row holds the newest version, the DLQ holds exactly this run\'s poison, and the metrics match.</p>'
    : `<p class="banner fail">FAIL: ${escapeHtml(verdict.reasons.join('; '))}.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>s3-ingest load test ${escapeHtml(report.runId)}</title>
<style>${css}
body{font-family:system-ui,sans-serif;margin:2rem;max-width:64rem}table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f5f5f5}
figure{margin:2rem 0}figcaption{font-weight:600;margin-bottom:.5rem}.banner{padding:.8rem 1rem;font-weight:600;border-radius:4px}
.pass{background:#dcfce7;color:#14532d}.fail{background:#fee2e2;color:#7f1d1d}</style></head>
<body><h1>s3-ingest load test</h1>
${banner}
<p>Run ${escapeHtml(report.runId)} on the ${escapeHtml(report.target)} target, reported ${escapeHtml(generatedAt.toISOString())}.</p>
<h2>Figures and targets</h2>
<table><tr><th>measure</th><th>value</th><th>target</th></tr>
${rows}</table>
<p>${escapeHtml(drainExplanation(report))}</p>
<figure><figcaption>Upload rows written per second${report.baseline ? ', s3-ingest beside the naive baseline' : ''}</figcaption><div id="throughput"></div></figure>
<figure><figcaption>Ingest latency (eventTime to row written), with p50, p95 and p99</figcaption><div id="latency"></div></figure>
<details><summary>Options of the run</summary><table>${options}</table></details>
<details><summary>JSON</summary><pre>${escapeHtml(JSON.stringify(report, null, 2))}</pre></details>
<script>${script}</script>
<script>
const throughput = ${scriptJson(throughput)};
const latency = ${scriptJson(latency)};
const width = Math.min(960, document.body.clientWidth);
new uPlot({
  width, height: 280,
  scales: { x: { time: false } },
  axes: [{ label: 'seconds since the first upload' }, { label: 'rows written per second' }],
  series: [{ label: 'second' }, { label: 's3-ingest', stroke: '#2563eb', width: 2 }]
    .concat(throughput.baseline ? [{ label: 'naive baseline', stroke: '#dc2626', width: 2, dash: [6, 4] }] : []),
}, [throughput.x, throughput.main].concat(throughput.baseline ? [throughput.baseline] : []), document.getElementById('throughput'));
new uPlot({
  width, height: 280,
  scales: { x: { time: false } },
  axes: [{ label: 'latency (ms, bucket start)' }, { label: 'rows' }],
  series: [{ label: 'ms' }, { label: 'rows', fill: 'rgba(37,99,235,.35)', stroke: '#2563eb', paths: uPlot.paths.bars({ size: [0.9] }) }],
  hooks: { draw: [(u) => {
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = '#111'; ctx.fillStyle = '#111'; ctx.setLineDash([4, 4]);
    ctx.font = (12 * devicePixelRatio) + 'px system-ui';
    for (const [name, value] of latency.marks) {
      const x = u.valToPos(value, 'x', true);
      ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
      ctx.fillText(name + ' ' + value + ' ms', x + 4, u.bbox.top + 14 * devicePixelRatio);
    }
    ctx.restore();
  }] },
}, [latency.x, latency.counts], document.getElementById('latency'));
</script>
</body></html>
`;
}
