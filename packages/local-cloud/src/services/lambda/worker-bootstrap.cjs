'use strict';
/**
 * The runtime inside one execution environment (a worker thread): what Lambda's Node.js runtime interface client
 * does in a sandbox. It loads the handler once (the init phase), then runs one invocation at a time on request of
 * the host, with Lambda's `context`, async and callback-style handlers, Lambda's console format and error shapes.
 *
 * Plain CommonJS on purpose: a worker thread runs it with Node alone, whatever compiles the host's TypeScript.
 *
 * Messages from the host: `{ type: 'invoke', timeoutMs, invocations: [{ requestId, payload, invokedFunctionArn,
 * clientContext }] }`: one or more invocations, run one after another, each with its own context, deadline and result.
 * Messages to the host: `{ type: 'log', text }`, `{ type: 'initialized', logs }`, `{ type: 'initFailed', error, logs }`,
 * `{ type: 'result', requestId, payload | error, durationMs, memoryUsedMb, heapUsedMb, busyShare, fatal, logs }`
 * (`fatal`: the runtime exits after it; `busyShare`: the share of the invocation this thread spent running code
 * rather than waiting; `logs`: output not yet sent, which comes before the message).
 *
 * Output is sent with the next message, or at most LOG_FLUSH_MS after it was written: one message per invocation
 * rather than one per line, in the order it was written.
 */
const { parentPort, workerData } = require('node:worker_threads');
const { existsSync, readFileSync } = require('node:fs');
const { getHeapStatistics } = require('node:v8');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { format, types } = require('node:util');
const { performance } = require('node:perf_hooks');

const {
  taskRoot,
  handler: handlerString,
  functionName,
  functionVersion,
  memorySizeMb,
  logGroupName,
  logStreamName,
} = workerData;

/** The invocation in flight: `{ requestId, settle(outcome) }`, or undefined between invocations. */
let current;
/** Invocations handed over and not started yet, in order. */
const queued = [];
let invocationTimeoutMs = 3000;

/** The longest output waits before it is sent to the host on its own. */
const LOG_FLUSH_MS = 50;
let unsentLogs = '';
let logTimer;

function sendLogs() {
  if (logTimer) clearTimeout(logTimer);
  logTimer = undefined;
  if (unsentLogs === '') return;
  const text = unsentLogs;
  unsentLogs = '';
  parentPort.postMessage({ type: 'log', text });
}

function log(text) {
  unsentLogs += text;
  // Unreferenced: a pending flush is not work of the function that keeps its event loop busy.
  logTimer ??= setTimeout(sendLogs, LOG_FLUSH_MS).unref();
}

/** Posts a message to the host with the output written before it. */
function post(message) {
  if (logTimer) clearTimeout(logTimer);
  logTimer = undefined;
  if (unsentLogs !== '') {
    message.logs = unsentLogs;
    unsentLogs = '';
  }
  parentPort.postMessage(message);
}

// Everything written to stdout or stderr goes to the host as log text, on the same port as the results, so the
// host sees an invocation's output before its result.
function captureStream(stream) {
  stream.write = (chunk, encoding, callback) => {
    log(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
}
// Output still waiting when the function ends the runtime (`process.exit`) goes before it.
process.on('exit', sendLogs);
captureStream(process.stdout);
captureStream(process.stderr);

// Lambda's text log format: timestamp, request id ("undefined" outside an invocation), level, message.
const LEVELS = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
for (const [method, level] of Object.entries(LEVELS)) {
  console[method] = (...args) => {
    let message = format(...args);
    if (method === 'trace') message = `Trace: ${message}\n${new Error().stack.split('\n').slice(2).join('\n')}`;
    const requestId = current ? current.requestId : 'undefined';
    log(`${new Date().toISOString()}\t${requestId}\t${level}\t${message}\n`);
  };
}

/** An error as Lambda's Node.js runtime reports it. */
function toLambdaError(error) {
  if (types.isNativeError(error) || (error instanceof Object && typeof error.message === 'string')) {
    return {
      errorType: String(error.name ?? 'Error'),
      errorMessage: String(error.message),
      trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function runtimeError(errorType, errorMessage) {
  const error = new Error(errorMessage);
  error.name = errorType;
  return error;
}

function isEsmPackage(directory) {
  for (let dir = directory; dir.startsWith(taskRoot); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return JSON.parse(readFileSync(manifest, 'utf8')).type === 'module';
      } catch {
        return false;
      }
    }
    if (dir === path.dirname(dir)) break;
  }
  return false;
}

/** Resolves `dir/module.export.path` as the Lambda runtime does, and loads the module. */
async function loadHandler() {
  const lastSlash = handlerString.lastIndexOf('/');
  const moduleDir = path.resolve(taskRoot, handlerString.slice(0, lastSlash + 1));
  const match = /^([^.]*)\.(.*)$/.exec(handlerString.slice(lastSlash + 1));
  if (!match) throw runtimeError('Runtime.MalformedHandlerName', `Bad handler ${handlerString}`);
  const [, moduleName, handlerPath] = match;
  const file = ['.js', '.mjs', '.cjs']
    .map((extension) => path.join(moduleDir, `${moduleName}${extension}`))
    .find((candidate) => existsSync(candidate));
  if (!file) {
    throw runtimeError(
      'Runtime.ImportModuleError',
      `Error: Cannot find module '${moduleName}'\nRequire stack:\n- ${path.join(taskRoot, 'index.js')}`,
    );
  }
  let loaded;
  if (file.endsWith('.mjs') || (file.endsWith('.js') && isEsmPackage(moduleDir))) {
    loaded = await import(pathToFileURL(file).href);
  } else {
    try {
      loaded = require(file);
    } catch (error) {
      if (error && error.code === 'ERR_REQUIRE_ESM') loaded = await import(pathToFileURL(file).href);
      else if (error instanceof SyntaxError) throw runtimeError('Runtime.UserCodeSyntaxError', String(error));
      else throw error;
    }
  }
  const handler = handlerPath.split('.').reduce((value, key) => (value == null ? undefined : value[key]), loaded);
  if (typeof handler !== 'function') {
    throw runtimeError('Runtime.HandlerNotFound', `${moduleName}.${handlerPath} is undefined or not exported`);
  }
  return handler;
}

/**
 * The environment's memory after an invocation, in MB: `memoryUsedMb` (the heap reserved plus external memory, what
 * the REPORT line's Max Memory Used shows) and `heapUsedMb` (the live heap, which falls back after a collection).
 * Read from V8's heap statistics, which cost far less per invocation than `process.memoryUsage()` (no RSS read).
 */
function memoryReport() {
  const heap = getHeapStatistics();
  return {
    memoryUsedMb: Math.ceil((heap.total_heap_size + heap.external_memory) / (1024 * 1024)),
    heapUsedMb: Math.ceil(heap.used_heap_size / (1024 * 1024)),
  };
}

// The host's port is the one handle the runtime itself keeps open; anything more is the function's pending work.
function eventLoopIsEmpty() {
  const resources = process.getActiveResourcesInfo();
  const own = resources.indexOf('MessagePort');
  if (own !== -1) resources.splice(own, 1);
  return resources.length === 0;
}

/**
 * Settles once the event loop holds nothing but the runtime's own port, as Lambda waits before answering a callback
 * (with `callbackWaitsForEmptyEventLoop`) or a handler that neither returns a promise nor calls back.
 */
function whenEventLoopEmpty(invocation, onEmpty) {
  const check = () => {
    if (invocation !== current) return;
    if (eventLoopIsEmpty()) onEmpty();
    else setTimeout(check, 5).unref();
  };
  setImmediate(check).unref();
}

/** Starts the next invocation handed over, if any, once the one in flight has settled. */
function runNext(handler) {
  if (current) return;
  const next = queued.shift();
  if (next) runInvocation(handler, next);
}

function runInvocation(handler, message) {
  const started = performance.now();
  const deadline = Date.now() + invocationTimeoutMs;
  let payload;
  try {
    payload = message.payload === '' ? {} : JSON.parse(message.payload);
  } catch (error) {
    post({
      type: 'result',
      requestId: message.requestId,
      error: toLambdaError(error),
      durationMs: performance.now() - started,
      ...memoryReport(),
    });
    setImmediate(() => runNext(handler));
    return;
  }
  const utilisation = performance.eventLoopUtilization();
  const invocation = {
    requestId: message.requestId,
    settled: false,
    settle(outcome, fatal) {
      if (invocation.settled) return;
      invocation.settled = true;
      if (current === invocation) current = undefined;
      let result;
      if (outcome.error !== undefined) {
        result = { error: toLambdaError(outcome.error) };
      } else {
        try {
          result = { payload: JSON.stringify(outcome.value === undefined ? null : outcome.value) };
        } catch (error) {
          result = {
            error: {
              errorType: 'Runtime.MarshalError',
              errorMessage: `Unable to stringify response body: ${error.message}`,
              trace: [],
            },
          };
        }
      }
      const busyShare = performance.eventLoopUtilization(utilisation).utilization;
      post({
        type: 'result',
        requestId: invocation.requestId,
        ...result,
        durationMs: performance.now() - started,
        ...memoryReport(),
        busyShare,
        fatal,
      });
      if (!fatal) setImmediate(() => runNext(handler));
    },
  };
  current = invocation;

  let callbackOutcome;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion,
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: String(memorySizeMb),
    awsRequestId: message.requestId,
    logGroupName,
    logStreamName,
    clientContext: message.clientContext,
    identity: undefined,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const callback = (error, value) => {
    if (callbackOutcome) return;
    callbackOutcome = error === undefined || error === null ? { value } : { error };
    if (context.callbackWaitsForEmptyEventLoop)
      whenEventLoopEmpty(invocation, () => invocation.settle(callbackOutcome));
    else invocation.settle(callbackOutcome);
  };
  context.done = callback;
  context.succeed = (value) => callback(null, value);
  context.fail = (error) => callback(error ?? 'handled');

  try {
    const returned = handler(payload, context, callback);
    if (returned && typeof returned.then === 'function') {
      returned.then(
        (value) => invocation.settle({ value }),
        (error) => invocation.settle({ error }),
      );
    } else {
      // A handler that neither returns a promise nor calls back answers null once the event loop is empty.
      whenEventLoopEmpty(invocation, () => invocation.settle(callbackOutcome ?? { value: null }));
    }
  } catch (error) {
    invocation.settle({ error });
  }
}

// Errors outside the handler's own promise end the environment, as in Lambda: the invocation in flight fails with
// them, and the host starts a new environment for the next one.
process.on('uncaughtException', (error) => {
  console.error('Uncaught Exception', error);
  if (current) current.settle({ error }, true);
  sendLogs();
  process.exit(129);
});
process.on('unhandledRejection', (reason) => {
  const error = runtimeError('Runtime.UnhandledPromiseRejection', String(reason));
  console.error('Unhandled Promise Rejection', error);
  if (current) current.settle({ error }, true);
  sendLogs();
  process.exit(128);
});

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    post({ type: 'initFailed', error: toLambdaError(error) });
    // Stay until the host ends this environment, so its end reads as the host's doing, not a crash.
    parentPort.on('message', () => {});
    return;
  }
  post({ type: 'initialized' });
  parentPort.on('message', (message) => {
    if (message?.type !== 'invoke') return;
    invocationTimeoutMs = message.timeoutMs;
    queued.push(...message.invocations);
    runNext(handler);
  });
}

void main();
