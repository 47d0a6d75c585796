// A throw-away redis-server (or three-master Redis Cluster) for the end-to-end tests: started on a
// free loopback port in a temporary folder without persistence, killed when the test file ends
// (also on failure, through the harness's process registry). INFO is read with a raw RESP request
// over a TCP socket, so no npm Redis client is needed.
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const { Proc, freePort, waitUntil } = require('./harness');

const REDIS_BIN = process.env.REDIS_SERVER_BIN || 'redis-server';

/**
 * Sends one command (array of strings) as RESP and resolves with the raw reply text once a whole
 * reply arrived (simple string, error, integer or bulk string — enough for INFO, PING, DBSIZE).
 */
function redisCommand(port, args, { host = '127.0.0.1', timeoutMs = 2000 } = {}) {
  const payload = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host });
    let buf = Buffer.alloc(0);
    const done = (err, value) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err); else resolve(value);
    };
    const timer = setTimeout(() => done(new Error(`redis ${args[0]}: no reply within ${timeoutMs} ms`)), timeoutMs);
    sock.once('connect', () => sock.write(payload));
    sock.on('error', (e) => done(e));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return;
      const type = String.fromCharCode(buf[0]);
      const head = buf.subarray(1, eol).toString('utf8');
      if (type === '+' || type === ':') return done(null, head);
      if (type === '-') return done(new Error(`redis ${args[0]}: ${head}`));
      if (type === '$') {
        const len = Number(head);
        if (len < 0) return done(null, null);
        if (buf.length >= eol + 2 + len + 2) return done(null, buf.subarray(eol + 2, eol + 2 + len).toString('utf8'));
        return undefined;
      }
      return done(new Error(`redis ${args[0]}: unexpected reply type ${type}`));
    });
  });
}

/** INFO [section] parsed into { field: value } (numbers where they parse). */
async function redisInfo(port, section = 'stats') {
  const text = await redisCommand(port, ['INFO', section]);
  const out = {};
  for (const line of text.split('\r\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i < 0) continue;
    const v = line.slice(i + 1);
    out[line.slice(0, i)] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  return out;
}

class RedisServer {
  /** `cluster`: a Redis Cluster node (see RedisCluster), its nodes.conf in its folder. */
  constructor({ cluster = false } = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-redis-'));
    this.cluster = cluster;
    this.port = null;
    this.busPort = null; // cluster bus: its default (port + 10000) may be taken or above 65535
    this.proc = null;
  }

  get url() { return `redis://127.0.0.1:${this.port}`; }

  /** Starts redis-server (on a free port the first time, on the same port afterwards). */
  async start() {
    if (this.proc && this.proc.running()) throw new Error('redis-server already running');
    if (!this.port) this.port = await freePort();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', this.dir];
    if (this.cluster) {
      if (!this.busPort) this.busPort = await freePort();
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', path.join(this.dir, 'nodes.conf'),
        '--cluster-port', String(this.busPort));
    }
    this.proc = new Proc(this.cluster ? `redis-${this.port}` : 'redis', REDIS_BIN, args, { cwd: this.dir });
    await waitUntil('redis-server PING', async () => (await redisCommand(this.port, ['PING'], { timeoutMs: 500 })) === 'PONG',
      { proc: this.proc, timeoutMs: 10000, intervalMs: 20 });
    return this;
  }

  /** SIGTERM (redis exits promptly without persistence), SIGKILL after `graceMs`. */
  async stop(graceMs = 3000) {
    if (!this.proc) return null;
    const info = await this.proc.stop(graceMs);
    return info;
  }

  running() { return !!this.proc && this.proc.running(); }

  info(section = 'stats') { return redisInfo(this.port, section); }

  async totalCommands() { return (await this.info('stats')).total_commands_processed; }

  /** Calls per command name since start (INFO commandstats), e.g. { evalsha: 120, zadd: 9 }. */
  async commandCalls() {
    const out = {};
    for (const [k, v] of Object.entries(await this.info('commandstats'))) {
      const m = /^cmdstat_(.+)$/.exec(k);
      const calls = /calls=(\d+)/.exec(String(v));
      if (m && calls) out[m[1]] = Number(calls[1]);
    }
    return out;
  }

  command(args) { return redisCommand(this.port, args); }

  async destroy() {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A three-master Redis Cluster on free loopback ports: slots split in thirds (CLUSTER
 * ADDSLOTSRANGE), joined with CLUSTER MEET, started once every node reports cluster_state:ok
 * (~2 s: a new master refuses keys at first). `url` names node 0; the statistics methods sum
 * over every node, so the cluster stands in for a RedisServer in the tests.
 */
class RedisCluster {
  constructor(masters = 3) {
    this.nodes = Array.from({ length: masters }, () => new RedisServer({ cluster: true }));
  }

  get url() { return this.nodes[0].url; }

  get procs() { return this.nodes.map((n) => n.proc).filter(Boolean); }

  async start() {
    await Promise.all(this.nodes.map((n) => n.start()));
    const third = Math.floor(16384 / this.nodes.length);
    await Promise.all(this.nodes.map((n, i) => n.command(['CLUSTER', 'ADDSLOTSRANGE', String(i * third),
      String(i === this.nodes.length - 1 ? 16383 : (i + 1) * third - 1)])));
    for (const n of this.nodes.slice(1)) {
      await this.nodes[0].command(['CLUSTER', 'MEET', '127.0.0.1', String(n.port), String(n.busPort)]);
    }
    for (const n of this.nodes) {
      await waitUntil(`redis ${n.port} cluster_state:ok`, async () => (await n.command(['CLUSTER', 'INFO'])).includes('cluster_state:ok'),
        { proc: n.proc, timeoutMs: 15000, intervalMs: 50 });
    }
    return this;
  }

  async totalCommands() {
    return (await Promise.all(this.nodes.map((n) => n.totalCommands()))).reduce((a, b) => a + b, 0);
  }

  async commandCalls() {
    const out = {};
    for (const calls of await Promise.all(this.nodes.map((n) => n.commandCalls()))) {
      for (const [k, v] of Object.entries(calls)) out[k] = (out[k] || 0) + v;
    }
    return out;
  }

  /** Error replies per error prefix, summed over the nodes (INFO errorstats), e.g. { MOVED: 3 }. */
  async errorCounts() {
    const out = {};
    for (const n of this.nodes) {
      for (const [k, v] of Object.entries(await n.info('errorstats'))) {
        const m = /^errorstat_(.+)$/.exec(k);
        const count = /count=(\d+)/.exec(String(v));
        if (m && count) out[m[1]] = (out[m[1]] || 0) + Number(count[1]);
      }
    }
    return out;
  }

  async destroy() { await Promise.all(this.nodes.map((n) => n.destroy())); }
}

/** What `after` adds to `before` (two commandCalls() results), without the zeros. */
function callsDelta(before, after) {
  const out = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] || 0) > 0) out[k] = v - (before[k] || 0);
  return out;
}

module.exports = { RedisServer, RedisCluster, redisCommand, redisInfo, callsDelta };
