import type { LoadTestReport } from './run.js';

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An SVG bar chart: one bar per value, labelled below with `labels` (every few). */
function barChart(values: readonly number[], labels: readonly string[], title: string, unit: string): string {
  const width = 720;
  const height = 240;
  const pad = 40;
  const max = Math.max(1, ...values);
  const barWidth = (width - pad * 2) / Math.max(1, values.length);
  const every = Math.max(1, Math.ceil(values.length / 12));
  const bars = values
    .map((value, i) => {
      const h = ((height - pad * 2) * value) / max;
      const x = pad + i * barWidth;
      const label =
        i % every === 0
          ? `<text x="${x + barWidth / 2}" y="${height - pad + 14}" font-size="10" text-anchor="middle">${escapeHtml(labels[i] ?? '')}</text>`
          : '';
      return `<rect x="${x + 1}" y="${height - pad - h}" width="${Math.max(1, barWidth - 2)}" height="${h}" fill="#3b82f6"><title>${escapeHtml(labels[i] ?? '')}: ${value}</title></rect>${label}`;
    })
    .join('');
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#999"/>
<text x="${pad - 4}" y="${pad}" font-size="10" text-anchor="end">${max}</text>
<text x="${pad - 4}" y="${height - pad}" font-size="10" text-anchor="end">0</text>
<text x="${width - pad}" y="${height - 6}" font-size="10" text-anchor="end">${escapeHtml(unit)}</text>
${bars}</svg></figure>`;
}

/** The HTML report: the summary table, throughput over time and the latency histogram. */
export function renderHtmlReport(report: LoadTestReport, summary: readonly [string, string][]): string {
  const rows = summary
    .map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('\n');
  const throughput = barChart(
    report.throughputSeries,
    report.throughputSeries.map((_, second) => `${second}s`),
    'Upload rows written per second',
    'seconds since the first upload',
  );
  const latency = barChart(
    report.latencyHistogram.map((bucket) => bucket.count),
    report.latencyHistogram.map((bucket) => `${bucket.from}`),
    'Ingest latency (eventTime to row written): rows per bucket',
    'milliseconds',
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>s3-ingest load test ${escapeHtml(report.runId)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}
th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:left}th{background:#f5f5f5}figure{margin:2rem 0}
figcaption{font-weight:600;margin-bottom:.5rem}</style></head>
<body><h1>s3-ingest load test</h1>
<p>Run ${escapeHtml(report.runId)} on ${escapeHtml(report.target)}.</p>
<table>${rows}</table>
${throughput}
${latency}
<details><summary>JSON</summary><pre>${escapeHtml(JSON.stringify(report, null, 2))}</pre></details>
</body></html>
`;
}
