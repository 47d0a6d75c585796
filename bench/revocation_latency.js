#!/usr/bin/env node
// Revocation latency: how long after a key deletion commits do the enforcers refuse the key?
//
//   node bench/revocation_latency.js [--keys N] [--poll-ms M] [--bin PATH] [--idle-seconds S]
//
// Starts its own `tollgate serve --demo` (role all: management API + enforcer, "serving") and one
// `tollgate serve --role enforcer` ("enforcer") on the same fresh data folder, both with the same
// --poll-ms (default: the binary's own default, read from `serve --help`), on free loopback ports.
// Creates N API keys for the demo application, then for each key, one after another:
//   1. waits a random 0..poll ms (so that revocations fall at every phase of the poll timer),
//   2. checks that both HTTP authz listeners allow it (GET /_tollgate/nginx with an apikey header),
//   3. deletes it through the REST API; t0 = when the DELETE answer arrives (the commit is done),
//   4. polls both authz listeners back to back on kept-alive connections until each answers 401;
//      latency = t_401 − t0 per process.
// Prints p50/p90/p99/max per process, the DELETE round trip (which includes the serving process's
// own rebuild), and the CPU of one rebuild in the separate enforcer (its CPU over 20 windows that
// start with a commit minus over 20 without). With --idle-seconds S, first measures both
// processes' idle CPU over S s (utime+stime from /proc/PID/stat, and the scheduler's ns counters).
// Stops by itself; every child and the temporary folder are removed on exit, also on failure.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

// ---------------------------------------------------------------------------------------------
// Flags

function parseArgs(argv) {
  const opts = { keys: 200, pollMs: null, bin: null, idleSeconds: 0 };
  const names = { '--keys': 'keys', '--poll-ms': 'pollMs', '--bin': 'bin', '--idle-seconds': 'idleSeconds' };
  for (let i = 0; i < argv.length; i++) {
    let [flag, value] = argv[i].split('=', 2);
    if (flag === '--help' || flag === '-h') {
      console.log('usage: node bench/revocation_latency.js [--keys N] [--poll-ms M] [--bin PATH] [--idle-seconds S]');
      process.exit(0);
    }
    if (!(flag in names)) throw new Error(`unknown flag ${flag} (see --help)`);
    if (value === undefined) value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    opts[names[flag]] = flag === '--bin' ? path.resolve(value) : Number(value);
  }
  if (!(Number.isInteger(opts.keys) && opts.keys > 0)) throw new Error('--keys must be a positive integer');
  if (opts.pollMs !== null && !(Number.isInteger(opts.pollMs) && opts.pollMs >= 10)) throw new Error('--poll-ms must be an integer ≥ 10');
  if (!(opts.idleSeconds >= 0)) throw new Error('--idle-seconds must be ≥ 0');
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
if (opts.bin) process.env.TOLLGATE_BIN = opts.bin;
// The children must see only what this script sets: TOLLGATE_* variables would override defaults.
for (const k of Object.keys(process.env)) if (k.startsWith('TOLLGATE_') && k !== 'TOLLGATE_BIN') delete process.env[k];

// Loaded after TOLLGATE_BIN is set: the harness reads it once. It also kills every child on exit.
const { TOLLGATE_BIN, freePort, spawnTollgate, waitUntil, sleep } = require('../test/e2e/harness');

/** The --poll-ms default compiled into the binary, from `tollgate serve --help`. */
function defaultPollMs() {
  const help = execFileSync(TOLLGATE_BIN, ['serve', '--help'], { encoding: 'utf8' });
  const m = help.match(/--poll-ms\b.*\(default (\d+)\)/);
  if (!m) throw new Error(`no --poll-ms default in \`${TOLLGATE_BIN} serve --help\``);
  return Number(m[1]);
}

// ---------------------------------------------------------------------------------------------
// HTTP on kept-alive connections

/** One request on `agent`; resolves with { status, json }. */
function call(agent, port, method, urlPath, { headers = {}, body, timeoutMs = 10000 } = {}) {
  const h = { ...headers };
  let payload;
  if (body !== undefined) {
    payload = Buffer.from(JSON.stringify(body));
    h['content-type'] = 'application/json';
    h['content-length'] = payload.length;
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers: h, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
        resolve({ status: res.statusCode, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${urlPath}: timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, monotonic

/** An HTTP authz listener (nginx auth_request convention) polled on one kept-alive connection. */
class AuthzTarget {
  constructor(name, port) {
    this.name = name;
    this.port = port;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.latencies = [];
    this.polls = 0;
  }

  async check(key) {
    const r = await call(this.agent, this.port, 'GET', '/_tollgate/nginx', {
      headers: { 'x-original-uri': '/petstore/v1/pets', 'x-original-method': 'GET', apikey: key }, timeoutMs: 5000,
    });
    return r.status;
  }

  /** Back-to-back checks until 401; resolves with the time of the first 401. */
  async until401(key, deadlineMs) {
    for (;;) {
      const status = await this.check(key);
      const t = now();
      this.polls++;
      if (status === 401) return t;
      if (status !== 200) throw new Error(`${this.name}: unexpected ${status} while waiting for the revocation`);
      if (t > deadlineMs) throw new Error(`${this.name}: revoked key still allowed after ${(t - deadlineMs).toFixed(0)} ms past the deadline`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Figures

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  const f = (v) => v.toFixed(1).padStart(7);
  return `p50 ${f(percentile(s, 50))}  p90 ${f(percentile(s, 90))}  p99 ${f(percentile(s, 99))}  max ${f(s[s.length - 1])}  min ${f(s[0])} ms`;
}

let clockTicks;
/** utime+stime of a process, in ms. */
function cpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
  const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 (utime) and 15 (stime)
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return (ticks * 1000) / clockTicks;
}

/** CPU time of every thread of a process, in ms, from the scheduler's ns counters (finer than stat's ticks). */
function schedCpuMs(pid) {
  let ns = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try { ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch { /* gone */ }
  }
  return ns / 1e6;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (!fs.existsSync(TOLLGATE_BIN)) throw new Error(`tollgate binary not found: ${TOLLGATE_BIN} (use --bin)`);
  const pollMs = opts.pollMs ?? defaultPollMs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-revocation-'));
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);
  const procs = [];
  let failed = false;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  try {
    const adminPassword = `bench-${crypto.randomBytes(12).toString('hex')}`;
    const auth = `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}`;
    const ports = async () => ({ http: await freePort(), grpc: await freePort(), authz: await freePort() });
    const common = ['--poll-ms', String(pollMs)];
    const ps = await ports();
    const serving = await spawnTollgate({ name: 'serving', dataDir, cwd: dir, ports: ps, role: 'all',
      args: [...common, '--demo'], adminPassword });
    procs.push(serving);
    const pe = await ports();
    const enforcer = await spawnTollgate({ name: 'enforcer', dataDir, cwd: dir, ports: pe, role: 'enforcer', args: common });
    procs.push(enforcer);

    const mgmt = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const rest = async (method, urlPath, body, want) => {
      const r = await call(mgmt, ps.http, method, urlPath, { headers: { authorization: auth }, body });
      if (r.status !== want) throw new Error(`${method} ${urlPath}: expected ${want}, got ${r.status}: ${r.text.slice(0, 400)}`);
      return r.json;
    };

    const apps = await rest('GET', '/api/v1/applications?limit=500', undefined, 200);
    const app = (apps.items ?? apps).find((a) => a.name === 'demo-app');
    if (!app) throw new Error('demo-app not found: did --demo run?');
    const keys = [];
    for (let i = 0; i < opts.keys; i++) {
      const k = await rest('POST', `/api/v1/applications/${app.id}/api-keys`, { name: `revoke-${i}` }, 201);
      keys.push({ id: k.id, key: k.key });
    }
    const targets = [new AuthzTarget('serving', ps.authz), new AuthzTarget('enforcer', pe.authz)];
    // Every key is in the same snapshot: once both know the last one, they know them all.
    for (const t of targets) {
      await waitUntil(`${t.name} knows the new keys`, async () => (await t.check(keys[keys.length - 1].key)) === 200,
        { timeoutMs: 10000, intervalMs: 10 });
    }

    const out = [];
    out.push(`tollgate: ${TOLLGATE_BIN}`);
    out.push(`poll: --poll-ms ${pollMs}${opts.pollMs === null ? ' (the binary\'s default)' : ''}; keys: ${opts.keys}`);
    out.push(`load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)`);

    if (opts.idleSeconds > 0) {
      await sleep(1000); // let the key creation's rebuilds settle
      const pids = [['serving', serving.child.pid], ['enforcer', enforcer.child.pid]];
      const before = pids.map(([, pid]) => [cpuMs(pid), schedCpuMs(pid)]);
      const t0 = now();
      await sleep(opts.idleSeconds * 1000);
      const elapsed = (now() - t0) / 1000;
      pids.forEach(([name, pid], i) => {
        const used = cpuMs(pid) - before[i][0];
        const sched = schedCpuMs(pid) - before[i][1];
        const probes = 1000 / pollMs;
        out.push(`idle CPU ${name.padEnd(8)}: utime+stime ${used.toFixed(0)} ms over ${elapsed.toFixed(1)} s ` +
          `(${(used / elapsed / 10).toFixed(3)} % of a core); schedstat ${sched.toFixed(1)} ms = ${(sched / elapsed).toFixed(2)} ms/s; ` +
          `≤ ${((sched / elapsed / probes) * 1000).toFixed(0)} µs per revision probe (${probes.toFixed(1)} probes/s)`);
      });
    }

    // Cost of one rebuild in the separate enforcer: its CPU over REBUILDS windows of 1.5 polls each
    // starting with a commit (a new key), minus its CPU over as many windows without a commit.
    const REBUILDS = 20;
    const windowMs = 1.5 * pollMs + 50;
    const cpuOver = async (commit) => {
      const before = schedCpuMs(enforcer.child.pid);
      for (let i = 0; i < REBUILDS; i++) {
        if (commit) await rest('POST', `/api/v1/applications/${app.id}/api-keys`, { name: `rebuild-${i}` }, 201);
        await sleep(windowMs);
      }
      return schedCpuMs(enforcer.child.pid) - before;
    };
    const quiet = await cpuOver(false);
    const busy = await cpuOver(true);
    out.push(`separate enforcer: one snapshot rebuild (revision probe + load from SQLite + build; demo API, ` +
      `${opts.keys + 1}-${opts.keys + 1 + REBUILDS} keys) ` +
      `≈ ${((busy - quiet) / REBUILDS).toFixed(2)} ms CPU (${busy.toFixed(1)} vs ${quiet.toFixed(1)} ms over ${REBUILDS} windows)`);
    const deleteMs = [];
    for (const { id, key } of keys) {
      await sleep(Math.random() * pollMs);
      for (const t of targets) {
        const status = await t.check(key);
        if (status !== 200) throw new Error(`${t.name}: key not allowed before its revocation (HTTP ${status})`);
      }
      const sent = now();
      await rest('DELETE', `/api/v1/applications/${app.id}/api-keys/${id}`, undefined, 204);
      const t0 = now();
      deleteMs.push(t0 - sent);
      const deadline = t0 + 10000;
      const seen = await Promise.all(targets.map((t) => t.until401(key, deadline)));
      targets.forEach((t, i) => t.latencies.push(seen[i] - t0));
    }

    out.push(`load average after:  ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    out.push('revoked → first 401, from the DELETE answer (t0):');
    for (const t of targets) {
      out.push(`  ${t.name.padEnd(8)} (${t.name === 'serving' ? 'role all, wrote it' : 'role enforcer'}): ${summary(t.latencies)}` +
        `   (${(t.polls / keys.length).toFixed(1)} checks per key)`);
    }
    out.push(`  DELETE round trip (commit + in-process rebuild + answer): ${summary(deleteMs)}`);
    const enf = [...targets[1].latencies].sort((a, b) => a - b);
    out.push(`separate enforcer: mean ${(enf.reduce((a, b) => a + b, 0) / enf.length).toFixed(1)} ms ` +
      `(a uniform wait for the next poll alone: poll/2 = ${(pollMs / 2).toFixed(1)} ms)`);
    const over = enf.filter((v) => v > 100).length;
    out.push(`separate enforcer over 100 ms: ${over} of ${enf.length} (${((100 * over) / enf.length).toFixed(1)} %)`);

    console.log(out.join('\n'));
    mgmt.destroy();
    for (const t of targets) t.agent.destroy();
  } catch (e) {
    failed = true;
    for (const p of procs) console.error(`--- last output of ${p.name} ---\n${p.tail(40)}`);
    throw e;
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
    if (failed) process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
