// The agent inside a test guest: reads commands from the host as JSON lines on a virtio-serial port
// and answers on it. Requests: {id, op:'exec', cmd, env?, cwd?, stream?}, {id, op:'signal', target,
// signal}, {id, op:'hello'}, {id, op:'poweroff'}. Answers: {id, stream, data} while a streamed command runs, then
// {id, exit, signal, stdout, stderr}; {id, hello:{kernel, uptime}}; {id, error}.
import { spawn } from 'node:child_process';
import { createReadStream, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { release } from 'node:os';

const port = process.argv[2];
if (!port) {
  console.error('guest-agent: no port given');
  process.exit(2);
}
// A port opens once: the one descriptor reads and writes.
const fd = openSync(port, 'r+');
const send = (msg) => {
  const buf = Buffer.from(`${JSON.stringify(msg)}\n`);
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
};
const running = new Map();

function exec(req) {
  const child = spawn(req.cmd[0], req.cmd.slice(1), {
    cwd: req.cwd ?? '/',
    env: { ...process.env, ...(req.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.set(req.id, child);
  const text = { stdout: '', stderr: '' };
  for (const name of ['stdout', 'stderr']) {
    child[name].setEncoding('utf8');
    child[name].on('data', (data) => {
      if (req.stream) send({ id: req.id, stream: name, data });
      else text[name] += data;
    });
  }
  child.on('error', (err) => {
    running.delete(req.id);
    send({ id: req.id, error: `${req.cmd[0]}: ${err.message}` });
  });
  child.on('close', (code, signal) => {
    running.delete(req.id);
    send({ id: req.id, exit: code, signal, ...text });
  });
}

function handle(req) {
  if (req.op === 'hello') {
    send({ id: req.id, hello: { kernel: release(), uptime: Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) } });
  } else if (req.op === 'exec') {
    exec(req);
  } else if (req.op === 'poweroff') {
    send({ id: req.id, poweroff: true });
    for (const child of running.values()) child.kill('SIGKILL');
    writeFileSync('/proc/sysrq-trigger', 'o');
  } else if (req.op === 'signal') {
    const child = running.get(req.target);
    if (child) child.kill(req.signal);
    send({ id: req.id, signalled: Boolean(child) });
  } else {
    send({ id: req.id, error: `unknown op ${req.op}` });
  }
}

let pending = '';
createReadStream(null, { fd, encoding: 'utf8', highWaterMark: 65536, autoClose: false }).on('data', (chunk) => {
  pending += chunk;
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    if (!line.trim()) continue;
    try {
      handle(JSON.parse(line));
    } catch (err) {
      send({ error: `bad request: ${err.message}` });
    }
  }
});
