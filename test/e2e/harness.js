// Shared harness of the end-to-end tests: starts a real Tollgate (binary from TOLLGATE_BIN, set by
// CMake), the demo upstream (upstream.js) and nginx (deploy/nginx/gateway.conf.in) on free loopback
// ports with a fresh data folder, and stops all of them when the test file ends, also on failure.
'use strict';

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const TOLLGATE_BIN = process.env.TOLLGATE_BIN || path.join(REPO_ROOT, 'build', 'src', 'cli', 'tollgate');
const NGINX_BIN = process.env.NGINX_BIN || '/usr/sbin/nginx';
const NGINX_TEMPLATE = path.join(REPO_ROOT, 'deploy', 'nginx', 'gateway.conf.in');
const VERBOSE = !!process.env.TOLLGATE_E2E_VERBOSE;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Ports and processes

// Ports the kernel picks for bind(0) and for outgoing connections come from the ephemeral range,
// so a port found that way may be handed to some other test's connection before our server binds
// it. Ports are picked below that range instead, at random, checked free by binding them, and
// never handed out twice by this process.
const EPHEMERAL_LOW = (() => {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11000 ? low : 32768;
  } catch {
    return 32768;
  }
})();
const handedOut = new Set();

function canBind(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free loopback port below the ephemeral range (see above). */
async function freePort() {
  for (let attempt = 0; attempt < 200; ++attempt) {
    const port = 10000 + Math.floor(Math.random() * (EPHEMERAL_LOW - 10000));
    if (handedOut.has(port) || !(await canBind(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port below the ephemeral range after 200 attempts');
}

function canConnect(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

const live = new Set(); // every child still running, killed on exit whatever happens
function killAllNow() {
  for (const p of live) {
    // nginx's master stops its workers on SIGTERM; SIGKILL would orphan them.
    try { p.child.kill(p.name === 'nginx' ? 'SIGTERM' : 'SIGKILL'); } catch { /* gone */ }
  }
}
process.on('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { killAllNow(); process.exit(128 + (os.constants.signals[sig] || 1)); });
}

/** A started child process whose output is kept (last lines) and can be waited on. */
class Proc {
  constructor(name, cmd, args, opts = {}) {
    this.name = name;
    this.lines = [];
    this.exitInfo = null;
    this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.waiters = [];
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
      });
      this.child.once('error', (err) => {
        this.lines.push(`spawn error: ${err.message}`);
        this.exitInfo = { code: -1, signal: null, error: err };
        live.delete(this);
        resolve(this.exitInfo);
      });
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          this.onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
      stream.on('end', () => { if (buf) this.onLine(buf); });
    }
  }

  onLine(line) {
    this.lines.push(line);
    if (this.lines.length > 400) this.lines.shift();
    if (VERBOSE) process.stderr.write(`[${this.name}] ${line}\n`);
    for (const w of [...this.waiters]) {
      const m = line.match(w.re);
      if (m) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(m); }
    }
  }

  /** Resolves with the match of the first line (already seen or future) matching `re`. */
  waitForLine(re, timeoutMs = 15000) {
    for (const l of this.lines) { const m = l.match(re); if (m) return Promise.resolve(m); }
    return new Promise((resolve, reject) => {
      const w = { re, resolve: (m) => { clearTimeout(timer); resolve(m); } };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.name}: no output line matching ${re} within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  running() { return this.exitInfo === null; }

  tail(n = 40) { return this.lines.slice(-n).map((l) => `  [${this.name}] ${l}`).join('\n'); }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit info. */
  async stop(graceMs = 5000) {
    if (!this.running()) return this.exitInfo;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => { try { this.child.kill('SIGKILL'); } catch { /* gone */ } }, graceMs);
    const info = await this.exited;
    clearTimeout(timer);
    return info;
  }
}

/** Polls `probe` until it returns truthy; fails early when `proc` has exited. */
async function waitUntil(what, probe, { timeoutMs = 30000, intervalMs = 50, proc } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && !proc.running()) {
      throw new Error(`${what}: ${proc.name} exited (${JSON.stringify(proc.exitInfo)})\n${proc.tail()}`);
    }
    try { if (await probe()) return; } catch { /* not yet */ }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not ready within ${timeoutMs} ms${proc ? `\n${proc.tail()}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

/**
 * One HTTP request on a fresh connection. `body` (object) is sent as JSON. Resolves with
 * { status, headers, text, json } (json = parsed body when it is JSON, else undefined).
 */
function request(url, { method = 'GET', headers = {}, body, auth, timeoutMs = 10000 } = {}) {
  const u = new URL(url);
  const h = { ...headers };
  let payload;
  if (body !== undefined) {
    payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
    h['content-length'] = payload.length;
  }
  if (auth) h.authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h, agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        if (/json/.test(res.headers['content-type'] || '') || /^\s*[{[]/.test(text)) {
          try { json = JSON.parse(text); } catch { /* not JSON */ }
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Fails with a readable message unless `res.status` is `want`. Returns res. */
function expectStatus(res, want, what = '') {
  if (res.status !== want) {
    throw new Error(`${what ? `${what}: ` : ''}expected HTTP ${want}, got ${res.status}: ${res.text.slice(0, 600)}`);
  }
  return res;
}

// A denial as a client sees it: the status, an application/problem+json body with that status,
// a title and the stable problem code.
function assertProblem(res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.match(res.headers['content-type'] || '', /^application\/problem\+json/,
    `content-type of a denial: ${res.headers['content-type']}`);
  assert.ok(res.json, `problem body is JSON: ${res.text}`);
  assert.equal(res.json.code, code, `problem code: ${res.text}`);
  assert.equal(res.json.status, status, `problem status: ${res.text}`);
  assert.equal(typeof res.json.title, 'string');
}

// ---------------------------------------------------------------------------------------------
// The stack

class Stack {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-e2e-'));
    this.dataDir = path.join(this.dir, 'data');
    fs.mkdirSync(this.dataDir);
    this.adminPassword = `e2e-${crypto.randomBytes(12).toString('hex')}`;
    this.procs = {};
    this.failed = false;
  }

  get admin() { return { user: 'admin', password: this.adminPassword }; }
  get mgmtUrl() { return `http://127.0.0.1:${this.ports.http}`; }
  get gatewayUrl() { return `http://127.0.0.1:${this.ports.gateway}`; }
  get upstreamUrl() { return `http://127.0.0.1:${this.ports.upstream}`; }
  get grpcAddr() { return `127.0.0.1:${this.ports.grpc}`; }
  get authzUrl() { return `http://127.0.0.1:${this.ports.authz}`; }

  /** Starts what `opts` asks for: tollgate always, upstream and nginx unless disabled. */
  async start({ upstream = true, nginx = true, demo = false } = {}) {
    this.ports = {
      http: await freePort(), grpc: await freePort(), authz: await freePort(),
      upstream: await freePort(), gateway: await freePort(),
    };
    this.demo = demo;
    if (upstream) await this.startUpstream();
    await this.startTollgate();
    if (nginx) await this.startNginx();
    return this;
  }

  async startTollgate() {
    const args = [
      'serve', '--data', this.dataDir, '--listen', '127.0.0.1',
      '--http-port', String(this.ports.http), '--grpc-port', String(this.ports.grpc),
      '--authz-port', String(this.ports.authz),
    ];
    if (this.demo) args.push('--demo');
    const env = {
      ...process.env,
      TOLLGATE_ADMIN_PASSWORD: this.adminPassword,
      TOLLGATE_DEMO_UPSTREAM: `http://127.0.0.1:${this.ports.upstream}`,
    };
    if (!fs.existsSync(TOLLGATE_BIN)) throw new Error(`tollgate binary not found: ${TOLLGATE_BIN} (set TOLLGATE_BIN)`);
    const p = new Proc('tollgate', TOLLGATE_BIN, args, { env, cwd: this.dir });
    this.procs.tollgate = p;
    await waitUntil('tollgate /healthz', async () => {
      const r = await request(`${this.mgmtUrl}/healthz`, { timeoutMs: 1000 });
      return r.status === 200;
    }, { proc: p, timeoutMs: 30000 });
    // The other listeners must be up too.
    await waitUntil('tollgate gRPC port', () => canConnect(this.ports.grpc), { proc: p, timeoutMs: 10000 });
    await waitUntil('tollgate authz port', () => canConnect(this.ports.authz), { proc: p, timeoutMs: 10000 });
    return p;
  }

  async stopTollgate() {
    const p = this.procs.tollgate;
    if (!p) return null;
    const info = await p.stop();
    delete this.procs.tollgate;
    return info;
  }

  async restartTollgate() {
    const info = await this.stopTollgate();
    await this.startTollgate();
    return info;
  }

  async startUpstream() {
    const p = new Proc('upstream', process.execPath, [path.join(__dirname, 'upstream.js'), String(this.ports.upstream)]);
    this.procs.upstream = p;
    await p.waitForLine(/upstream listening on/, 10000);
    return p;
  }

  renderNginxConf(prefix) {
    const tpl = fs.readFileSync(NGINX_TEMPLATE, 'utf8');
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const values = {
      PREFIX: prefix,
      LISTEN_PORT: String(this.ports.gateway),
      AUTHZ_ADDR: `127.0.0.1:${this.ports.authz}`,
      UPSTREAM_ADDR: `127.0.0.1:${this.ports.upstream}`,
      USER_LINE: isRoot ? 'user root;' : '',
    };
    const out = tpl.replace(/@([A-Z_]+)@/g, (m, k) => (k in values ? values[k] : m));
    const left = out.match(/@[A-Z_]+@/);
    if (left) throw new Error(`nginx template: unknown placeholder ${left[0]}`);
    return out;
  }

  async startNginx() {
    const prefix = path.join(this.dir, 'nginx');
    fs.mkdirSync(path.join(prefix, 'tmp'), { recursive: true });
    fs.mkdirSync(path.join(prefix, 'logs'), { recursive: true });
    const conf = path.join(prefix, 'nginx.conf');
    fs.writeFileSync(conf, this.renderNginxConf(prefix));
    const p = new Proc('nginx', NGINX_BIN, ['-p', prefix, '-c', conf, '-e', 'stderr', '-g', 'daemon off;']);
    this.procs.nginx = p;
    await waitUntil('nginx', () => canConnect(this.ports.gateway), { proc: p, timeoutMs: 10000 });
    return p;
  }

  /** Management REST call with Basic auth (pass auth: null for none). */
  rest(method, urlPath, body, { auth = this.admin, headers } = {}) {
    return request(`${this.mgmtUrl}${urlPath}`, { method, body, auth, headers });
  }

  /** Through the nginx gateway. */
  gateway(method, urlPath, headers = {}, body) {
    return request(`${this.gatewayUrl}${urlPath}`, { method, headers, body });
  }

  /** Wraps a test body: remembers a failure so that stop() prints the servers' output. */
  guard(fn) {
    return async (...args) => {
      try { return await fn(...args); } catch (e) { this.failed = true; throw e; }
    };
  }

  async stop() {
    const procs = Object.values(this.procs);
    if (this.failed || VERBOSE) {
      for (const p of procs) console.error(`--- last output of ${p.name} ---\n${p.tail(80)}`);
    }
    await Promise.all(procs.map((p) => p.stop()));
    this.procs = {};
    if (!process.env.TOLLGATE_E2E_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
    else console.error(`kept ${this.dir}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Fixtures shared by the test files

/** The Petstore API of the tests, pointing at the demo upstream of `stack`. */
function petstoreApi(stack, overrides = {}) {
  return {
    name: `Petstore-${crypto.randomBytes(3).toString('hex')}`,
    version: 'v1',
    context: '/petstore/v1',
    upstream: stack.upstreamUrl,
    description: 'end-to-end test API',
    resources: [
      { method: 'GET', path: '/pets', auth: 'apiKey' },
      { method: 'GET', path: '/pets/{id}', auth: 'apiKey' },
      { method: 'POST', path: '/pets', auth: 'apiKey' },
    ],
    ...overrides,
  };
}

/**
 * Creates and publishes the Petstore API, an application subscribed to it with a key, and a second
 * application with a key but no subscription. Returns the ids and keys.
 */
async function provision(stack) {
  const api = expectStatus(await stack.rest('POST', '/api/v1/apis', petstoreApi(stack)), 201, 'create API').json;
  const published = expectStatus(
    await stack.rest('POST', `/api/v1/apis/${api.id}/lifecycle`, { action: 'publish' }), 200, 'publish API').json;
  const app = expectStatus(
    await stack.rest('POST', '/api/v1/applications', { name: 'e2e-app', description: 'subscribed' }), 201, 'create application').json;
  const sub = expectStatus(
    await stack.rest('POST', `/api/v1/applications/${app.id}/subscriptions`, { apiId: api.id }), 201, 'subscribe').json;
  const key = expectStatus(
    await stack.rest('POST', `/api/v1/applications/${app.id}/api-keys`, { name: 'e2e-key' }), 201, 'create key').json;
  const other = expectStatus(
    await stack.rest('POST', '/api/v1/applications', { name: 'e2e-unsubscribed' }), 201, 'create 2nd application').json;
  const otherKey = expectStatus(
    await stack.rest('POST', `/api/v1/applications/${other.id}/api-keys`, { name: 'e2e-key-2' }), 201, 'create 2nd key').json;
  return { api, published, app, sub, key, other, otherKey };
}

/**
 * Calls `probe` every `intervalMs` until it returns true; resolves with the milliseconds it took.
 * Throws after `timeoutMs`.
 */
async function timeUntil(probe, { timeoutMs = 5000, intervalMs = 50 } = {}) {
  const t0 = process.hrtime.bigint();
  for (;;) {
    if (await probe()) return Number(process.hrtime.bigint() - t0) / 1e6;
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
    if (elapsed > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/**
 * Starts one more `tollgate serve` (beside or instead of a Stack's) with any extra flags, e.g.
 * `['--role', 'enforcer', '--counters', 'redis://…', '--poll-ms', '100']`. `ports` = { http, grpc,
 * authz } (all passed, even to roles that do not use them). Resolves with the Proc once it printed
 * "tollgate ready" and the listeners of its role accept connections; the process is killed when the
 * test file ends like every other child (stop it with proc.stop()).
 */
async function spawnTollgate({ name = 'tollgate', dataDir, cwd, ports, role = 'all', args = [], env = {},
  adminPassword } = {}) {
  if (!fs.existsSync(TOLLGATE_BIN)) throw new Error(`tollgate binary not found: ${TOLLGATE_BIN} (set TOLLGATE_BIN)`);
  const argv = [
    'serve', '--data', dataDir, '--listen', '127.0.0.1', '--role', role,
    '--http-port', String(ports.http), '--grpc-port', String(ports.grpc), '--authz-port', String(ports.authz),
    ...args,
  ];
  const fullEnv = { ...process.env, ...env };
  if (adminPassword) fullEnv.TOLLGATE_ADMIN_PASSWORD = adminPassword;
  const p = new Proc(name, TOLLGATE_BIN, argv, { env: fullEnv, cwd: cwd || dataDir });
  await waitUntil(`${name} ready`, () => p.lines.some((l) => /tollgate ready/.test(l)), { proc: p, timeoutMs: 30000 });
  if (role !== 'enforcer') {
    await waitUntil(`${name} /healthz`, async () => (await request(`http://127.0.0.1:${ports.http}/healthz`, { timeoutMs: 1000 })).status === 200,
      { proc: p, timeoutMs: 10000 });
  }
  if (role !== 'control') {
    await waitUntil(`${name} gRPC port`, () => canConnect(ports.grpc), { proc: p, timeoutMs: 10000 });
    await waitUntil(`${name} authz port`, () => canConnect(ports.authz), { proc: p, timeoutMs: 10000 });
  }
  return p;
}

module.exports = {
  REPO_ROOT, TOLLGATE_BIN, NGINX_BIN, NGINX_TEMPLATE,
  Stack, Proc, freePort, request, expectStatus, assertProblem, waitUntil, timeUntil, sleep, petstoreApi, provision,
  spawnTollgate,
};
