// The edge benchmark's child processes: the origin (node bench/edge/origin.mjs) and workerd.
// Both bind 127.0.0.1 on ports the kernel picks and report them (origin: a JSON line on
// stdout; workerd: its --control-fd listen events), so there is no port race. Every wait is
// bounded; every child is stopped by its own PID (SIGTERM, then SIGKILL), also when the
// harness dies (`stopAll` from exit/signal handlers).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const running = new Set();

/** Starts the origin; resolves to {port, stop(), output()}. */
export async function startOrigin({ timeoutMs = 10_000 } = {}) {
  const child = spawn(process.execPath, [path.join(HERE, 'origin.mjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
  const handle = track(child, 'origin');
  const port = await firstMatch(handle, child.stdout, timeoutMs, (line) => {
    const message = JSON.parse(line);
    return Number.isInteger(message.port) ? message.port : undefined;
  });
  return { ...handle, port };
}

/**
 * Starts `workerd serve configPath`; resolves once every socket in `socketNames` listens, to
 * {ports: {name: port}, stop(), output()}. `wrapper` ([command, ...args]) runs workerd under
 * another program (the stage profiler's valgrind); the handle's pid is then the wrapper's.
 */
export async function startWorkerd(workerdBinary, configPath, socketNames, { timeoutMs = 30_000, wrapper = [] } = {}) {
  // fd 3 is the control pipe: workerd writes {"event":"listen","socket":name,"port":N} lines.
  const argv = [...wrapper, workerdBinary, 'serve', configPath, '--control-fd', '3'];
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const handle = track(child, 'workerd');
  const ports = {};
  await firstMatch(handle, child.stdio[3], timeoutMs, (line) => {
    const message = JSON.parse(line);
    if (message.event === 'listen' && socketNames.includes(message.socket)) ports[message.socket] = message.port;
    return socketNames.every((name) => ports[name]) ? true : undefined;
  });
  return { ...handle, ports };
}

/** Stops every child still running (bounded). */
export async function stopAll() {
  await Promise.all([...running].map((h) => h.stop()));
}

/** Synchronous last resort for process 'exit': SIGKILL whatever is left. */
export function killAllNow() {
  for (const h of running) h.killNow();
}

function track(child, name) {
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-20_000);
  };
  child.stderr.on('data', keep);
  let exited = false;
  let exitReason = '';
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      exitReason = `${code ?? signal}`;
      resolve();
    });
    // A process that failed to spawn emits 'error' and never 'exit'.
    child.once('error', (e) => {
      keep(`spawn error: ${e.message}\n`);
      exited = true;
      exitReason = 'spawn error';
      resolve();
    });
  });
  const handle = {
    name,
    pid: child.pid,
    output: () => output,
    exited: () => exited,
    exitReason: () => exitReason,
    exit,
    killNow() {
      if (!exited) child.kill('SIGKILL');
    },
    async stop() {
      running.delete(handle);
      if (exited) return;
      child.kill('SIGTERM');
      await within(exit, 5_000);
      if (!exited) child.kill('SIGKILL');
      await within(exit, 5_000);
    },
  };
  running.add(handle);
  return handle;
}

// Reads `stream` line by line until `match(line)` returns something other than undefined.
// Fails (and stops the child) on timeout or when the child exits first.
function firstMatch(handle, stream, timeoutMs, match) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let done = false;
    const finish = (error, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream.removeListener('data', onData);
      if (error) handle.stop().then(() => reject(error));
      else resolve(value);
    };
    const timer = setTimeout(() => {
      finish(new Error(`${handle.name} did not start within ${timeoutMs} ms:\n${handle.output()}`));
    }, timeoutMs);
    const onData = (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line) continue;
        let value;
        try {
          value = match(line);
        } catch {
          continue;  // not a line we understand
        }
        if (value !== undefined) return finish(null, value);
      }
    };
    stream.on('data', onData);
    handle.exit.then(() => {
      finish(new Error(`${handle.name} exited during startup (${handle.exitReason()}):\n${handle.output()}`));
    });
  });
}

async function within(promise, ms) {
  let timer;
  try {
    await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
