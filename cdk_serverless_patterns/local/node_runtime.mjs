// LocalCloud's Node.js runtime: one long-lived worker per function (a warm sandbox).
//
// argv: <task root> <handler> <answer file descriptor> <fallback node_modules dirs, joined by the path delimiter>
// Requests come one JSON line at a time on stdin: {"init": true} (load the handler: the init phase), or
// {"event": ..., "context": {...}, "remainingMillis": n}.
// Each answer is one JSON line on the answer descriptor (stdout and stderr stay the handler's own):
// {"result": ...} or {"error": {"errorType", "errorMessage", "trace"}}.
// The handler module is loaded once (init code runs once per worker), as Lambda's runtime does:
// "dir/file.fn" -> file.js / file.mjs / file.cjs in the task root, CommonJS or ES module.
import { createInterface } from "node:readline";
import { writeSync, existsSync } from "node:fs";
import { register, syncBuiltinESMExports } from "node:module";
import http from "node:http";
import https from "node:https";
import { join, delimiter } from "node:path";
import { pathToFileURL } from "node:url";

const [taskRoot, handlerSpec, answerFd, fallbackDirs = ""] = process.argv.slice(2);

// ES modules ignore NODE_PATH: resolve a bare specifier the handler's own node_modules lack
// (the AWS SDK v3, which Lambda provides) from the fallback directories, as Lambda's runtime does.
const fallbacks = fallbackDirs.split(delimiter).filter(Boolean);
if (fallbacks.length > 0) {
  const loader = `
    let parents = [];
    export async function initialize(data) { parents = data.parents; }
    export async function resolve(specifier, context, next) {
      try { return await next(specifier, context); }
      catch (error) {
        if (error?.code !== "ERR_MODULE_NOT_FOUND" || /^[./]|^[a-z]+:/.test(specifier)) throw error;
        for (const parentURL of parents) {
          try { return await next(specifier, { ...context, parentURL }); } catch {}
        }
        throw error;
      }
    }`;
  const parents = fallbacks.map((dir) => pathToFileURL(join(dir, "..", "localcloud-resolve.js")).href);
  register("data:text/javascript," + encodeURIComponent(loader), { data: { parents } });
}

// Every HTTPS request to an AWS host goes to the local cloud's endpoint instead: the SDK v3 follows
// AWS_ENDPOINT_URL, but takes an SQS QueueUrl's host as its endpoint, and an SDK v2 bundled in the
// handler ignores the variable. The original Host header stays (the endpoint reads an S3 bucket from it).
const localEndpoint = process.env.AWS_ENDPOINT_URL ? new URL(process.env.AWS_ENDPOINT_URL) : null;
if (localEndpoint) {
  const httpsRequest = https.request;
  const httpsGet = https.get;
  const toLocal = (args) => {
    const [first, second, third] = args;
    const given = typeof first === "string" || first instanceof URL ? new URL(first) : null;
    const options = given ? (typeof second === "function" ? {} : { ...(second || {}) }) : { ...(first || {}) };
    const callback = typeof second === "function" ? second : typeof third === "function" ? third : undefined;
    const host = given ? given.hostname : String(options.hostname || options.host || "").split(":")[0];
    if (!host.endsWith(".amazonaws.com")) return null;
    const path = given ? given.pathname + given.search : options.path;
    const headers = { ...(options.headers || {}), host };
    const local = { ...options, protocol: "http:", hostname: localEndpoint.hostname, host: localEndpoint.hostname,
      port: localEndpoint.port, path, headers, agent: undefined };
    return http.request(local, callback);
  };
  https.request = function (...args) {
    return toLocal(args) ?? httpsRequest.apply(this, args);
  };
  https.get = function (...args) {
    const request = toLocal(args);
    if (request === null) return httpsGet.apply(this, args);
    request.end();
    return request;
  };
  syncBuiltinESMExports();
}

function answer(message) {
  writeSync(Number(answerFd), JSON.stringify(message) + "\n");
}

function errorPayload(error, fallbackType = "Error") {
  if (error instanceof Error) {
    return {
      errorType: error.name === "Error" && error.constructor?.name ? error.constructor.name : error.name || fallbackType,
      errorMessage: error.message,
      trace: String(error.stack || "").split("\n"),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

async function loadHandler() {
  const slash = handlerSpec.lastIndexOf("/");
  const dot = handlerSpec.indexOf(".", slash + 1);
  if (dot < 0) {
    throw Object.assign(new Error(`Bad handler ${handlerSpec}: expected "file.function"`), { name: "Runtime.MalformedHandlerName" });
  }
  const modulePath = handlerSpec.slice(0, dot);
  const attributes = handlerSpec.slice(dot + 1).split(".");
  const file = [".js", ".mjs", ".cjs"].map((ext) => join(taskRoot, modulePath + ext)).find((f) => existsSync(f));
  if (!file) {
    throw Object.assign(new Error(`Cannot find module '${modulePath}' in ${taskRoot} (tried .js, .mjs, .cjs)`), {
      name: "Runtime.ImportModuleError",
    });
  }
  let module;
  try {
    module = await import(pathToFileURL(file).href);
  } catch (error) {
    throw Object.assign(new Error(`${error?.name || "Error"}: ${error?.message || error}`), {
      name: "Runtime.ImportModuleError",
      stack: error?.stack,
    });
  }
  let handler = module;
  for (const attribute of attributes) handler = handler?.[attribute] ?? handler?.default?.[attribute];
  if (typeof handler !== "function") {
    throw Object.assign(new Error(`${handlerSpec} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
  }
  return handler;
}

function lambdaContext(fields, finish) {
  const deadline = Date.now() + fields.remainingMillis;
  return {
    ...fields.context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: (error, result) => finish(error, result),
    succeed: (result) => finish(null, result),
    fail: (error) => finish(error ?? new Error("failed"), undefined),
  };
}

// A synchronous handler that returns nothing (e.g. one ending with cfn-response's send) finishes, as in
// Lambda, when its event loop is empty: no request, socket or timer it started is still pending.
function waitForEmptyEventLoop(baseline, done, isSettled) {
  const poll = () => {
    if (isSettled()) return;
    if (process.getActiveResourcesInfo().length <= baseline) done();
    else setTimeout(poll, 5);
  };
  setTimeout(poll, 5);
}

function run(handler, request) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== null && error !== undefined) reject(error);
      else resolve(result);
    };
    const context = lambdaContext(request, finish);
    const baseline = process.getActiveResourcesInfo().length;
    try {
      const returned = handler(request.event, context, finish);
      if (returned && typeof returned.then === "function") returned.then((r) => finish(null, r), (e) => finish(e ?? new Error("rejected")));
      else if (handler.length < 3 && returned !== undefined) finish(null, returned);
      else if (handler.length < 3) waitForEmptyEventLoop(baseline, () => finish(null, null), () => settled);
    } catch (error) {
      finish(error);
    }
  });
}

let handlerPromise = null;
const lines = createInterface({ input: process.stdin, terminal: false });
for await (const line of lines) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  try {
    handlerPromise ??= loadHandler();
    const handler = await handlerPromise;
    if (request.init) {
      answer({ ready: true });
      continue;
    }
    const result = await run(handler, request);
    answer({ result: result === undefined ? null : result });
  } catch (error) {
    if (error?.name?.startsWith?.("Runtime.")) handlerPromise = null;
    answer({ error: errorPayload(error) });
  }
}
