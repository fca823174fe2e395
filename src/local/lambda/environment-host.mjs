// The bootstrap of one local execution environment (a child process), playing Lambda's Node.js
// runtime: imports the bundle once (the cold start), then runs one invocation at a time, as the
// parent asks over the IPC channel. Plain JavaScript, so any Node.js (20 or 22) runs it as it is.
//
// argv: <bundle file> <exported handler name>
// parent -> child: { type: 'invoke', id, event, deadlineMs, context }
// child -> parent: { type: 'ready', initMs } | { type: 'init-error', error }
//                  | { type: 'result', id, response } | { type: 'error', id, error }
//                  | { type: 'timeout', id } (the deadline passed first; the environment then exits)
import { pathToFileURL } from 'node:url';

const [bundleFile, handlerName = 'handler'] = process.argv.slice(2);

/** An error as Lambda reports it: errorType, errorMessage, stack lines. */
function describe(error) {
  if (error instanceof Error)
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: String(error.stack ?? '').split('\n'),
    };
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

// An error no invocation catches ends the environment, as it does Lambda's.
process.on('uncaughtException', (error) => {
  process.send?.({ type: 'crash', error: describe(error) }, () => process.exit(129));
});
process.on('unhandledRejection', (error) => {
  process.send?.({ type: 'crash', error: describe(error) }, () => process.exit(128));
});
// The parent went away: nothing will invoke this environment again.
process.on('disconnect', () => process.exit(0));

// Which environment variables the function reads, for the deploy-parity check (each must be one the
// template or Lambda sets, or one the code has a default for).
const variablesRead = new Set();
let reported = 0;
const recordRead = (name) => {
  if (typeof name === 'string') variablesRead.add(name);
};
process.env = new Proxy(process.env, {
  get(target, name) {
    recordRead(name);
    return Reflect.get(target, name);
  },
  has(target, name) {
    recordRead(name);
    return Reflect.has(target, name);
  },
});
/** The names read since the last report. */
const newlyRead = () => {
  const names = [...variablesRead].slice(reported);
  reported = variablesRead.size;
  return names;
};

const started = performance.now();
let handler;
try {
  const module = await import(pathToFileURL(bundleFile).href);
  handler = module[handlerName];
  if (typeof handler !== 'function') throw new Error(`${bundleFile} exports no function ${handlerName}`);
} catch (error) {
  process.send({ type: 'init-error', error: describe(error) }, () => process.exit(1));
}
if (handler) {
  process.send({ type: 'ready', initMs: performance.now() - started });
  process.on('message', async (message) => {
    if (message?.type !== 'invoke') return;
    const { id, event, deadlineMs, context: fields } = message;
    const context = {
      ...fields,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    // The timeout is decided here, on the handler's own event loop: a handler that returned (and so
    // wrote its EMF) before the deadline has succeeded, however late a busy parent reads the answer.
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        process.send({ type: 'timeout', id }, () => process.exit(124));
      },
      Math.max(0, deadlineMs - Date.now()),
    );
    try {
      const response = await handler(event, context);
      if (!timedOut)
        process.send({ type: 'result', id, response: response ?? null, variablesRead: newlyRead() });
    } catch (error) {
      if (!timedOut) process.send({ type: 'error', id, error: describe(error), variablesRead: newlyRead() });
    } finally {
      clearTimeout(timer);
    }
  });
}
