import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalConsole } from '../../src/console/local-console.js';
import type { RunningConsole } from '../../src/console/server.js';
import { eicarTestFile, findClamAv } from '../../src/local/malware-scanner.js';
import type { LocalStack } from '../../src/local/stack.js';
import { waitFor } from '../../src/local/wait.js';
import { COUNT_METRICS } from '../../src/metric-names.js';
import { drained, queueDepth, startTestStack, uploadLogReader } from '../support/pipeline.js';

/** Debian's Chromium (`apt-get install -y chromium`); `.ci/run` installs it when it is missing. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  // CI installs Chromium first: there, a missing browser is a failure, not a reason to skip.
  if (process.env.CI) throw new Error(`browser tests need Chromium at ${CHROMIUM} (.ci/run installs it)`);
  console.warn(
    `\nThe console's browser tests did not run: no Chromium at ${CHROMIUM}.\n` +
      'Install it with `sudo apt-get update && sudo apt-get install -y chromium` (or set CHROMIUM_PATH).\n',
  );
}

/** Screenshots of each page, for the README (docs/console-*.png are copies of these). */
const SCREENSHOTS = join(process.cwd(), '.local', 'screenshots');
const HOSTILE_KEY = 'hostile/<img src=x onerror=alert(1)>.txt';
/** The alarms' periods shrunk 20 times (DlqNotEmpty's minute becomes 3 s) so the test sees it turn back. */
const ALARM_PERIOD_SCALE = 0.05;
/** ClamAV plays GuardDuty when it is installed (`.ci/run` installs it); the scan test runs only then. */
const CLAMAV = findClamAv();
if (!CLAMAV && process.env.CI)
  throw new Error('the console\u2019s scan test needs ClamAV (.ci/run installs it)');

describe.runIf(HAVE_CHROMIUM)('the web console in a real browser', () => {
  let stack: LocalStack;
  let webConsole: RunningConsole;
  let browser: Browser;
  let page: Page;
  let discardDirectory: string;
  /** Notifications the test holds back: they reach the DLQ by hand, as if they had failed there. */
  const heldBack = new Map<string, string>();
  const dialogs: string[] = [];
  /** Errors the page threw or logged: there must be none. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack({
      uploadEvents: true,
      ...(CLAMAV ? { context: { malwareProtection: 'true' }, onNotice: () => undefined } : {}),
      notificationTap: async (body, send) => {
        if (body.includes('held-back%2F') || body.includes('held-back/')) {
          heldBack.set('held-back', body);
          return;
        }
        await send(body);
      },
    });
    discardDirectory = await mkdtemp(join(tmpdir(), 's3-ingest-discard-'));
    webConsole = await startLocalConsole(stack, 0, {
      dashboard: { alarmPeriodScale: ALARM_PERIOD_SCALE },
      discardDirectory,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // An alert (or any dialog but discard's confirmation) means a key ran as code.
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void (dialog.type() === 'confirm' ? dialog.accept() : dialog.dismiss());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await webConsole?.close();
    await stack?.stop();
  });

  const put = (key: string, body = `content of ${key}`) =>
    stack.clients.s3.send(new PutObjectCommand({ Bucket: stack.names.uploadsBucket, Key: key, Body: body }));

  /** The colour a cell is drawn in (the page's computed style). */
  const colorOf = (cell: Locator) =>
    cell.evaluate(
      (element) =>
        // Runs in the page (the DOM's getComputedStyle; this project's types have no DOM).
        (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(
          element,
        ).color,
    );
  const alarmState = (name: string) => page.getAttribute(`[data-alarm="${name}"]`, 'data-state');

  it('shows a new upload on the Uploads page without a reload, and a hostile key as inert text', async () => {
    // The operator's URL: the token rides in the fragment, and the page takes it out of the address bar.
    await page.goto(webConsole.operatorUrl);
    await page.waitForSelector('#uploads-note:not(:empty)');
    expect(page.url()).toBe(`${webConsole.url}#uploads`);
    await put('photos/cat.jpg');
    await put(HOSTILE_KEY);
    // The page polls; no reload.
    await page.locator('td.key', { hasText: 'photos/cat.jpg' }).waitFor({ timeout: 20_000 });
    const hostile = page.locator('td.key', { hasText: 'onerror' });
    await hostile.waitFor({ timeout: 20_000 });
    expect(await hostile.textContent()).toBe(HOSTILE_KEY);
    expect(await page.locator('#uploads-table img').count()).toBe(0);
    // One object's history: its row, and its state.
    await hostile.click();
    await page.locator('#object-uri', { hasText: 'onerror' }).waitFor();
    expect(await page.textContent('#object-uri')).toBe(`s3://${stack.names.uploadsBucket}/${HOSTILE_KEY}`);
    expect(await page.textContent('#object-state')).toContain('State: PRESENT');
    expect(await page.locator('#object-table tbody tr').count()).toBe(1);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-uploads.png'), fullPage: true });
  }, 60_000);

  it('shows DLQ messages, turns DlqNotEmpty red, redrives one that then is ingested, and discards a poison one after a confirmation', async () => {
    // One notification "failed" until a fix (held back from the queue, put on the DLQ), one poison.
    await put('held-back/report.csv');
    await waitFor('the held-back notification', async () => heldBack.has('held-back'), { timeoutMs: 10_000 });
    await stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queues.dlq.url, MessageBody: heldBack.get('held-back') }),
    );
    await stack.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queues.dlq.url,
        MessageBody: 'this is not <b>an S3</b> event',
      }),
    );

    await page.goto(`${webConsole.url}#dashboard`);
    await page.waitForSelector('[data-alarm="DlqNotEmpty"][data-state="ALARM"]', { timeout: 20_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'console-dashboard-alarm.png'), fullPage: true });

    await page.goto(`${webConsole.url}#dlq`);
    await page.locator('#dlq-table td.key', { hasText: 'held-back/report.csv' }).waitFor({ timeout: 10_000 });
    const poisonRow = page.locator('#dlq-table tbody tr', { hasText: 'is not JSON' });
    await poisonRow.waitFor();
    expect(await page.locator('#dlq-table b').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-dlq.png'), fullPage: true });

    // Redrive the readable one (selected), then it is ingested.
    await page.locator('#dlq-table tbody tr', { hasText: 'held-back/report.csv' }).locator('input').check();
    await page.click('#dlq-redrive-selected');
    await page.locator('#dlq-result', { hasText: 'Moved 1 messages' }).waitFor({ timeout: 20_000 });
    const log = uploadLogReader(stack);
    await waitFor(
      'the redriven upload to be recorded',
      async () => (await log.uploadsOf('held-back/report.csv')).length === 1,
      {
        timeoutMs: 20_000,
      },
    );

    // Discard the poison one: a confirmation, then its NDJSON.
    await page.locator('#dlq-table tbody tr', { hasText: 'is not JSON' }).locator('input').check();
    await page.click('#dlq-discard-selected');
    await page.locator('#dlq-result', { hasText: 'Discarded 1 messages' }).waitFor({ timeout: 20_000 });
    expect(dialogs, JSON.stringify(dialogs)).toEqual([expect.stringMatching(/^confirm: Discard 1 messages/)]);
    const file = /saved to (\S+\.ndjson)/.exec((await page.textContent('#dlq-result')) ?? '')?.[1] ?? '';
    const saved = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(saved).toEqual([expect.objectContaining({ body: 'this is not <b>an S3</b> event' })]);
    expect(await queueDepth(stack.clients.sqs, stack.queues.dlq.url)).toBe(0);

    // The DLQ is empty for a whole (shortened) period: the alarm turns back.
    await page.goto(`${webConsole.url}#dashboard`);
    await page.waitForSelector('[data-alarm="DlqNotEmpty"][data-state="OK"]', { timeout: 20_000 });
    expect(await alarmState('DlqNotEmpty')).toBe('OK');
  }, 90_000);

  it("shows the dashboard's counts equal to the EMF the worker emitted, and the status", async () => {
    await Promise.all(['charts/a.txt', 'charts/b.txt', 'charts/c.txt'].map((key) => put(key)));
    const log = uploadLogReader(stack);
    await waitFor(
      'the uploads to be recorded',
      async () => (await log.uploadsOf('charts/c.txt')).length === 1,
      {
        timeoutMs: 20_000,
      },
    );
    await drained(stack);
    const totals = stack.metrics.totals();
    expect(totals.ObjectsIngested).toBeGreaterThanOrEqual(3);
    await page.goto(`${webConsole.url}#dashboard`);
    await waitFor(
      'the dashboard totals to equal the EMF totals',
      async () => {
        for (const metric of COUNT_METRICS) {
          const shown = await page.textContent(`#totals tr[data-metric="${metric}"] td`).catch(() => null);
          if (Number(shown) !== totals[metric]) return false;
        }
        return true;
      },
      { timeoutMs: 20_000 },
    );
    expect(await page.locator('#graphs .uplot').count(), pageErrors.join('\n')).toBeGreaterThanOrEqual(4);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-dashboard.png'), fullPage: true });

    await page.goto(`${webConsole.url}#status`);
    await page.locator('#status-table th', { hasText: 'worker: invocations' }).waitFor({ timeout: 10_000 });
    expect(await page.textContent('#status-table')).toContain('ingest queue: visible');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-status.png'), fullPage: true });

    // The events page: the upload events since the console started, the hostile key as inert text.
    await page.goto(`${webConsole.url}#events`);
    const announced = page.locator('#events-table td', { hasText: 'onerror' }).first();
    await announced.waitFor({ timeout: 20_000 });
    expect(await announced.textContent()).toBe(`s3://${stack.names.uploadsBucket}/${HOSTILE_KEY}`);
    expect(await page.locator('#events-table img').count()).toBe(0);
    // Discard's confirmation (the test before) is the only dialog: no alert ran.
    expect(dialogs.filter((dialog) => !dialog.startsWith('confirm: Discard'))).toEqual([]);
  }, 60_000);

  it('refuses a state-changing request without the token, or from another origin (403)', async () => {
    await stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queues.dlq.url, MessageBody: 'stays' }),
    );
    const redrive = `${webConsole.url}api/dlq/redrive`;
    const origin = new URL(webConsole.url).origin;
    // From the console's own page, without the token.
    await page.goto(`${webConsole.url}#status`);
    const withoutToken = await page.evaluate(
      async (url) =>
        (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }))
          .status,
      redrive,
    );
    expect(withoutToken).toBe(403);
    // With the token but another origin, and with a Host that is not the console (DNS rebinding).
    const post = (headers: Record<string, string>) =>
      fetch(redrive, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{"all":true}',
      });
    expect((await post({ origin: 'http://evil.example', 'x-console-token': webConsole.token })).status).toBe(
      403,
    );
    expect((await post({ origin, 'x-console-token': 'wrong' })).status).toBe(403);
    // A page of another site in the same browser tries it blind.
    const evil: Server = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(
        `<img src="${webConsole.url}api/dlq"><script>fetch(${JSON.stringify(redrive)}, { method: 'POST', mode: 'no-cors', body: '{"all":true}' }).finally(() => { document.title = 'sent'; });</script>`,
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const evilPage = await browser.newPage();
      await evilPage.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      await evilPage.waitForFunction('document.title === "sent"');
      await evilPage.close();
    } finally {
      evil.close();
    }
    // Nothing moved: the message is still on the DLQ.
    expect(await queueDepth(stack.clients.sqs, stack.queues.dlq.url)).toBe(1);
    // With the token and its own origin, the same request works.
    expect((await post({ origin, 'x-console-token': webConsole.token })).status).toBe(200);
  }, 60_000);

  it.runIf(CLAMAV)(
    "shows each row's malware scan, a threat in red, and turns ThreatsFound red",
    async () => {
      // The test before made the page send requests the console refused (403): errors from here on count.
      const errorsBefore = pageErrors.length;
      await put('scanned/eicar.txt', eicarTestFile().toString('latin1'));
      await put('scanned/clean.txt');
      await page.goto(`${webConsole.url}#uploads`);
      const threat = page
        .locator('#uploads-table tbody tr', { hasText: 'scanned/eicar.txt' })
        .locator('td.scan-THREATS_FOUND');
      await threat.waitFor({ timeout: 30_000 });
      expect(await threat.textContent()).toBe('COMPLETED THREATS_FOUND');
      // Red, as the page's style makes it (#cf222e).
      expect(await colorOf(threat)).toBe('rgb(207, 34, 46)');
      const clean = page.locator('#uploads-table tbody tr', { hasText: 'scanned/clean.txt' });
      await clean.locator('td', { hasText: 'COMPLETED NO_THREATS_FOUND' }).waitFor({ timeout: 30_000 });
      expect(await colorOf(clean.locator('td.scan-NO_THREATS_FOUND'))).not.toBe('rgb(207, 34, 46)');
      await page.goto(`${webConsole.url}#dashboard`);
      await page.waitForSelector('[data-alarm="ThreatsFound"][data-state="ALARM"]', { timeout: 20_000 });
      expect(await page.textContent('#totals tr[data-metric="ThreatsFound"] td')).toBe('1');
      expect(pageErrors.slice(errorsBefore)).toEqual([]);
    },
    90_000,
  );
});
