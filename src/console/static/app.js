// The s3-ingest console: plain JavaScript, no build step. Everything a user uploaded (keys,
// metadata, message bodies) is put on the page as text (textContent, never innerHTML), so a key
// like <img src=x onerror=alert(1)>.txt shows as those characters and runs nothing.
/* global uPlot */

// The token comes only in the URL the console printed for its operator (`#token=...`): a fragment
// never goes over the wire. It is kept for this tab and taken out of the address bar.
const TOKEN = (() => {
  const given = /^#token=([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1];
  if (given) {
    sessionStorage.setItem('console-token', given);
    history.replaceState(null, '', `${location.pathname}#uploads`);
  }
  return sessionStorage.getItem('console-token') ?? '';
})();
const REFRESH_MS = 2000;
/** Uploads are read again less often: each read queries every shard of the range's first days. */
const UPLOADS_REFRESH_MS = 10_000;
const $ = (selector) => document.querySelector(selector);

/** An element with text children only. */
function el(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/** A read: every /api/ request carries the console's token. */
async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json', 'x-console-token': TOKEN } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? response.statusText);
  return body;
}

/** Downloads the CSV of the range shown (every row, streamed by the server) as a file. */
async function downloadCsv() {
  const params = uploadsParams();
  const response = await fetch(`/api/uploads.csv?${params}`, { headers: { 'x-console-token': TOKEN } });
  if (!response.ok) {
    $('#uploads-note').textContent = `CSV failed: ${(await response.json()).error ?? response.statusText}`;
    return;
  }
  const link = el('a', undefined, {
    href: URL.createObjectURL(await response.blob()),
    download: `uploads-${params.get('bucket')}.csv`,
  });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

/** A state-changing request: it carries the console's token (and the browser adds our Origin). */
async function postJson(path, payload) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-console-token': TOKEN },
    body: JSON.stringify(payload),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? response.statusText);
  return body;
}

function formatAge(seconds) {
  if (seconds === undefined || seconds === null) return '-';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

// ---- Uploads --------------------------------------------------------------------------------

const uploads = { cursor: undefined, history: [] };

function uploadsParams() {
  const form = new FormData($('#uploads-form'));
  const params = new URLSearchParams();
  params.set('bucket', form.get('bucket') ?? '');
  for (const name of ['from', 'to']) {
    const value = form.get(name);
    if (value) params.set(name, new Date(value).toISOString());
  }
  if (form.get('status')) params.set('status', form.get('status'));
  return params;
}

async function loadUploads() {
  const params = uploadsParams();
  if (uploads.cursor) params.set('after', uploads.cursor);
  const page = await getJson(`/api/uploads?${params}`);
  const body = $('#uploads-table tbody');
  const rows = page.rows.map((row) => {
    const tr = el('tr', undefined, { class: 'clickable', 'data-key': row.key });
    tr.append(
      el('td', row.eventTime),
      el('td', row.key, { class: 'key' }),
      el('td', row.status, { class: `status-${row.status}` }),
      el('td', row.size),
      el('td', row.uploader),
      scanCell(row),
      el('td', row.reason ?? ''),
    );
    tr.addEventListener('click', () => void showObject(row.bucket, row.key));
    return tr;
  });
  body.replaceChildren(...rows);
  $('#uploads-note').textContent =
    page.rows.length === 0 ? 'No uploads in this range.' : `${page.rows.length} rows`;
  uploads.next = page.next;
  $('#uploads-next').disabled = !page.next;
}

async function showObject(bucket, key) {
  const answer = await getJson(`/api/object?${new URLSearchParams({ bucket, key })}`);
  $('#object').hidden = false;
  $('#object-uri').textContent = `s3://${bucket}/${key}`;
  const state = answer.state;
  $('#object-state').textContent = state
    ? `State: ${state.status}, eTag ${state.eTag ?? '-'}, size ${state.size ?? '-'}, event ${state.eventTime}` +
      (answer.copyDestinationBucket && state.copiedTo ? `, copy ${state.copiedTo}` : '')
    : 'State: none recorded';
  $('#object-table tbody').replaceChildren(
    ...answer.uploads.map((row) => {
      const tr = el('tr');
      tr.append(
        el('td', row.eventTime),
        el('td', row.eTag),
        el('td', row.versionId ?? ''),
        el('td', row.status, { class: `status-${row.status}` }),
        scanCell(row),
        el('td', row.copiedTo ?? ''),
        el('td', row.reason ?? ''),
        el('td', row.messageId ?? ''),
      );
      return tr;
    }),
  );
}

// ---- DLQ ------------------------------------------------------------------------------------

const dlq = { messages: [] };

async function loadDlq() {
  const { messages } = await getJson('/api/dlq');
  dlq.messages = messages;
  $('#dlq-note').textContent =
    messages.length === 0
      ? 'The DLQ is empty.'
      : `${messages.length} messages (a peek: each counts one receive)`;
  $('#dlq-table tbody').replaceChildren(
    ...messages.map((message) => {
      const tr = el('tr', undefined, { 'data-message-id': message.messageId });
      const box = el('input', undefined, {
        type: 'checkbox',
        value: message.messageId,
        'aria-label': 'select',
      });
      const show = el('button', 'body', { type: 'button' });
      show.addEventListener('click', () => {
        $('#dlq-body').hidden = false;
        $('#dlq-body').textContent = message.body;
      });
      const check = el('td');
      check.append(box);
      const actions = el('td');
      actions.append(show);
      tr.append(
        check,
        el('td', message.bucket ?? ''),
        el('td', message.key ?? '', { class: 'key' }),
        el('td', message.event ?? ''),
        el('td', message.receiveCount),
        el('td', formatAge(message.ageSeconds)),
        el('td', message.problem ?? ''),
        actions,
      );
      return tr;
    }),
  );
}

const selectedIds = () => [...document.querySelectorAll('#dlq-table input:checked')].map((box) => box.value);

async function dlqAction(run) {
  $('#dlq-result').textContent = 'working...';
  let outcome;
  try {
    outcome = await run();
  } catch (error) {
    outcome = `Failed: ${error.message}`;
  }
  // The table is read again before the outcome shows, so a selection never outlives its messages.
  await loadDlq().catch(() => undefined);
  $('#dlq-result').textContent = outcome;
}

/** What a redrive did, and what it kept because no watched bucket is named in it. */
function movedText(answer) {
  const unwatched = answer.unwatched
    ? ` ${answer.unwatched} name only buckets this stack does not watch and stay (the worker would ignore them).`
    : '';
  return `Moved ${answer.moved} messages to the ingest queue.${unwatched}`;
}

function wireDlq() {
  $('#dlq-refresh').addEventListener('click', () => void loadDlq());
  $('#dlq-redrive-all').addEventListener('click', () =>
    dlqAction(async () => movedText(await postJson('/api/dlq/redrive', { all: true }))),
  );
  $('#dlq-redrive-selected').addEventListener('click', () =>
    dlqAction(async () => {
      const ids = selectedIds();
      if (ids.length === 0) return 'Select messages first.';
      return movedText(await postJson('/api/dlq/redrive', { messageIds: ids }));
    }),
  );
  $('#dlq-redrive-filtered').addEventListener('click', () =>
    dlqAction(async () => {
      const filters = $('#dlq-filter').value.split(/\s+/).filter(Boolean);
      if (filters.length === 0)
        return 'Type a filter first (bucket=, key-prefix=, event=, contains=, malformed).';
      return movedText(await postJson('/api/dlq/redrive', { filters }));
    }),
  );
  $('#dlq-discard-selected').addEventListener('click', () =>
    dlqAction(async () => {
      const ids = selectedIds();
      if (ids.length === 0) return 'Select messages first.';
      if (!window.confirm(`Discard ${ids.length} messages? They are saved to an NDJSON file first.`))
        return 'Nothing discarded.';
      const answer = await postJson('/api/dlq/discard', { messageIds: ids, confirm: true });
      return `Discarded ${answer.discarded} messages; saved to ${answer.file} (redrive replay --file sends them back).`;
    }),
  );
}

// ---- Dashboard ------------------------------------------------------------------------------

const charts = new Map();
const PALETTE = ['#0972d3', '#d45b07', '#037f0c', '#cf222e', '#8250df', '#6e7781', '#bf8700', '#1b7c83'];

function drawGraph(graph) {
  const container = $('#graphs');
  let entry = charts.get(graph.title);
  if (!entry) {
    const box = el('div', undefined, { class: 'graph' });
    box.append(el('h3', graph.title));
    const note = el('p', '', { class: 'muted' });
    const plot = el('div');
    box.append(plot, note);
    container.append(box);
    entry = { box, note, plot, chart: undefined, labels: '' };
    charts.set(graph.title, entry);
  }
  entry.note.textContent = graph.unavailable.join('; ');
  if (graph.series.length === 0) return;
  const timestamps = graph.series[0].timestamps.map((t) => t / 1000);
  const data = [timestamps, ...graph.series.map((s) => s.values)];
  const labels = graph.series.map((s) => s.label).join('|');
  if (entry.chart && entry.labels === labels) {
    entry.chart.setData(data);
    return;
  }
  entry.chart?.destroy();
  entry.labels = labels;
  entry.chart = new uPlot(
    {
      width: 540,
      height: 220,
      series: [
        {},
        ...graph.series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          scale: s.axis === 'right' ? 'right' : 'y',
          spanGaps: false,
          points: { show: true, size: 5 },
        })),
      ],
      axes: [{}, { scale: 'y' }, { scale: 'right', side: 1, grid: { show: false } }],
    },
    data,
    entry.plot,
  );
}

async function loadDashboard() {
  const data = await getJson(`/api/dashboard?minutes=${$('#dashboard-range').value}`);
  $('#alarms').replaceChildren(
    ...data.alarms.map((alarm) => {
      const value = alarm.value === undefined ? 'no data' : Number(alarm.value.toFixed(2));
      return el('span', `${alarm.name}: ${alarm.state} (${value} / ${alarm.threshold})`, {
        class: `alarm ${alarm.state}`,
        'data-alarm': alarm.name,
        'data-state': alarm.state,
        title: alarm.description,
      });
    }),
  );
  $('#totals tbody').replaceChildren(
    ...Object.entries(data.totals).map(([name, value]) => {
      const tr = el('tr', undefined, { 'data-metric': name });
      tr.append(el('th', name), el('td', value));
      return tr;
    }),
  );
  for (const graph of data.graphs) drawGraph(graph);
}

/** A row's malware scan: its status, and its result once there is one (a threat in red). */
function scanCell(row) {
  const text = [row.scanStatus, row.scanResult].filter((part) => part).join(' ');
  return el('td', text, row.scanResult ? { class: `scan-${row.scanResult}` } : {});
}

// ---- Events ---------------------------------------------------------------------------------

async function loadEvents() {
  const feed = await getJson('/api/events');
  $('#events-note').textContent = feed.available
    ? `The latest ${feed.events.length} upload events since the console started, newest first.`
    : feed.reason;
  $('#events-table tbody').replaceChildren(
    ...feed.events.map((event) => {
      const tr = el('tr', undefined, { 'data-status': event.status });
      tr.append(
        el('td', event.time),
        el('td', event.type),
        el('td', event.status),
        el('td', `s3://${event.bucket}/${event.key}`),
        el('td', event.detectedType ?? ''),
        el('td', event.reason ?? ''),
      );
      return tr;
    }),
  );
}

// ---- Status ---------------------------------------------------------------------------------

async function loadStatus() {
  const status = await getJson('/api/status');
  const rows = [
    ['ingest queue: visible', status.ingest.visible],
    ['ingest queue: in flight', status.ingest.inFlight],
    ['ingest queue: oldest message', formatAge(status.ingest.oldestAgeSeconds)],
    ['DLQ: visible', status.dlq.visible],
    ['DLQ: in flight', status.dlq.inFlight],
  ];
  for (const [name, value] of Object.entries(status.worker ?? {})) rows.push([`worker: ${name}`, value]);
  $('#status-table tbody').replaceChildren(
    ...rows.map(([name, value]) => {
      const tr = el('tr');
      tr.append(el('th', name), el('td', value));
      return tr;
    }),
  );
}

// ---- Navigation -----------------------------------------------------------------------------

const PAGES = {
  uploads: loadUploads,
  events: loadEvents,
  dlq: loadDlq,
  dashboard: loadDashboard,
  status: loadStatus,
};
let current = 'uploads';

function show(page) {
  current = PAGES[page] ? page : 'uploads';
  for (const name of Object.keys(PAGES)) $(`#page-${name}`).hidden = name !== current;
  for (const link of document.querySelectorAll('nav a'))
    link.classList.toggle('active', link.dataset.page === current);
  void refresh();
}

async function refresh() {
  try {
    await PAGES[current]();
  } catch (error) {
    console.error(error);
  }
}

async function start() {
  const info = await getJson('/api/info');
  $('#target').textContent =
    `${info.target.kind === 'aws' ? 'AWS' : 'local'}: ${info.target.label} (${info.target.region})${info.allowChanges ? '' : ', read-only'}`;
  $('#uploads-bucket').replaceChildren(
    ...info.buckets.map((bucket) => el('option', bucket, { value: bucket })),
  );
  $('#uploads-form').addEventListener('submit', (event) => {
    event.preventDefault();
    uploads.cursor = undefined;
    void loadUploads();
  });
  $('#uploads-next').addEventListener('click', () => {
    uploads.cursor = uploads.next;
    void loadUploads();
  });
  $('#uploads-first').addEventListener('click', () => {
    uploads.cursor = undefined;
    void loadUploads();
  });
  $('#uploads-csv').addEventListener('click', () => void downloadCsv());
  wireDlq();
  $('#dashboard-range').addEventListener('change', () => void loadDashboard());
  window.addEventListener('hashchange', () => show(location.hash.slice(1)));
  show(location.hash.slice(1));
  // New rows, messages and datapoints appear without a reload. The DLQ is not polled: a peek
  // counts a receive on every message, so it refreshes when asked (and after an action).
  let ticks = 0;
  setInterval(() => {
    ticks += 1;
    if (current === 'dlq') return;
    if (current === 'uploads' && ticks % (UPLOADS_REFRESH_MS / REFRESH_MS) !== 0) return;
    void refresh();
  }, REFRESH_MS);
}

void start();
