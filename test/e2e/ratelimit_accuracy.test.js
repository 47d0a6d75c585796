// Accuracy of the global (Redis) rate limiter, end to end (issue 5): one real redis-server and
// THREE `tollgate serve` processes sharing one data folder and `--counters redis://…` — A with
// `--role all` (management + enforcer), B and C with `--role enforcer` — driven concurrently on
// their HTTP authz listeners (nginx's convention, GET /_tollgate/nginx) well above the limit.
//
// Bound (docs/ratelimit-redis.md, Redis reachable), over any interval t, across R replicas:
//   admitted ≤ C + rate·t + R·(Lmax + A),  Lmax = max(1, ⌊C/2R⌋),  A = max(1, min(4, ⌊C/4R⌋))
// and, since every replica keeps asking, not grossly under: admitted ≥ min(99% of rate·t, ideal − C).
// Redis operations per request are read from INFO stats (total_commands_processed, which also
// counts the commands run inside Lua scripts) and INFO commandstats (operations sent) and printed.
// A second test measures them at a steady load under a high limit (asserted ≤ 0.05 operations sent
// per request, the issue's target); a third stops Redis (SIGTERM) mid-run and restarts it on the
// same port 1 s later.
//
// With TOLLGATE_E2E_REDIS_CLUSTER=1 (ctest e2e_ratelimit_accuracy_cluster) the same bound is
// checked through a three-master Redis Cluster instead, each process given a different node as
// its seed; only the first test runs, and no call may be redirected (MOVED) or cross slots.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { describe, test, before, after } = require('node:test');
const { freePort, request, expectStatus, waitUntil, sleep, spawnTollgate } = require('./harness');
const { RedisServer, RedisCluster, callsDelta } = require('./redis_server');

const VERBOSE = !!process.env.TOLLGATE_E2E_VERBOSE;
const CLUSTER = process.env.TOLLGATE_E2E_REDIS_CLUSTER === '1';
const CLUSTER_SKIP = { skip: CLUSTER && 'Redis Cluster run: the accuracy bound only' };
const R = 3; // replicas
const RATE = 300; // per second
const BURST = 299; // capacity C = burst + 1
const C = BURST + 1;
const LMAX = Math.max(1, Math.floor(C / (2 * R)));
const CREDIT = Math.max(1, Math.min(4, Math.floor(C / (4 * R))));
const SLACK = R * (LMAX + CREDIT);
const LOOPS_PER_ENFORCER = 32;
// Steady load (Redis operations per request at the issue's "steady load"): a plan far above the
// offered load, so that every request is admitted and leases follow demand.
const STEADY_RATE = 3000;
const STEADY_PER_ENFORCER = 400; // requests per second to each enforcer
const REQUEST_TIMEOUT_MS = 3000;
const BUCKET_MS = 100;

/**
 * Drives every target with `loops` concurrent keep-alive request loops until `durationMs` has
 * passed since the shared start `t0` (ms, performance.now()). Each answer is counted per target
 * and per BUCKET_MS bucket of its arrival time: admitted (200), limited (403 + x-tollgate-status
 * 429), other (any other status, by status) and failures (errors, timeouts). With `intervalMs`,
 * each loop sends one request per interval instead of back to back (a steady, paced load).
 */
async function drive(targets, { durationMs, t0, loops = LOOPS_PER_ENFORCER, key, intervalMs = 0 }) {
  const nBuckets = Math.ceil(durationMs / BUCKET_MS) + 50;
  const results = targets.map((tg) => ({
    name: tg.name,
    admitted: 0, limited: 0, other: {}, failures: {}, requests: 0, maxLatencyMs: 0,
    buckets: Array.from({ length: nBuckets }, () => ({ admitted: 0, limited: 0, bad: 0 })),
    lastDoneMs: 0,
  }));
  const agents = targets.map(() => new http.Agent({ keepAlive: true, maxSockets: loops }));
  const deadline = t0 + durationMs;
  const one = (tg, agent) => new Promise((resolve) => {
    const started = performance.now();
    const req = http.request({
      host: '127.0.0.1', port: tg.port, path: '/_tollgate/nginx', method: 'GET', agent,
      headers: { 'x-original-uri': '/petstore/v1/pets', 'x-original-method': 'GET', apikey: key },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, tgStatus: res.headers['x-tollgate-status'], started }));
      res.on('error', (e) => resolve({ error: e.code || e.message, started }));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ error: e.message === 'timeout' ? 'timeout' : (e.code || e.message), started }));
    req.end();
  });
  await Promise.all(targets.flatMap((tg, i) => Array.from({ length: loops }, async (_, j) => {
    const r = results[i];
    // Paced (intervalMs > 0): loop j sends at t0 + phase + k·intervalMs; else back to back.
    let next = t0 + (intervalMs * j) / loops;
    while (performance.now() < deadline) {
      if (intervalMs > 0) {
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        next += intervalMs;
        if (performance.now() >= deadline) break;
      }
      const a = await one(tg, agents[i]);
      const now = performance.now();
      r.requests += 1;
      r.maxLatencyMs = Math.max(r.maxLatencyMs, now - a.started);
      r.lastDoneMs = Math.max(r.lastDoneMs, now - t0);
      const b = r.buckets[Math.min(nBuckets - 1, Math.floor((now - t0) / BUCKET_MS))];
      if (a.error) {
        r.failures[a.error] = (r.failures[a.error] || 0) + 1;
        b.bad += 1;
      } else if (a.status === 200) {
        r.admitted += 1;
        b.admitted += 1;
      } else if (a.status === 403 && a.tgStatus === '429') {
        r.limited += 1;
        b.limited += 1;
      } else {
        const k = `${a.status}${a.tgStatus ? `/${a.tgStatus}` : ''}`;
        r.other[k] = (r.other[k] || 0) + 1;
        b.bad += 1;
      }
    }
  })));
  for (const a of agents) a.destroy();
  return results;
}

/** Sum of a field over the buckets lying wholly in [fromMs, toMs). */
function windowSum(results, field, fromMs, toMs) {
  let sum = 0;
  for (const r of results) {
    r.buckets.forEach((b, i) => {
      const t = i * BUCKET_MS;
      if (t >= fromMs && t + BUCKET_MS <= toMs) sum += b[field];
    });
  }
  return sum;
}

/** [from, to) shrunk to bucket edges, so that its length is that of the buckets it sums. */
const aligned = (from, to) => ({
  from: Math.ceil(from / BUCKET_MS) * BUCKET_MS, to: Math.floor(to / BUCKET_MS) * BUCKET_MS,
});

// Redis counts the commands a Lua script runs in total_commands_processed as well. The commands
// Tollgate's scripts run (src/ratelimit/redis/lua_scripts.cc: lease, return, heartbeat) are
// therefore subtracted to get the operations the replicas actually sent (one per EVALSHA).
const SCRIPT_INNER = new Set(['time', 'hmget', 'hset', 'pexpire', 'get', 'set', 'incrby', 'expireat', 'decrby',
  'zadd', 'zremrangebyscore', 'zcard', 'zcount']);
const sentOps = (calls) => Object.entries(calls)
  .filter(([name]) => !SCRIPT_INNER.has(name) && name !== 'info')
  .reduce((sum, [, n]) => sum + n, 0);

const total = (results, field) => results.reduce((s, r) => s + r[field], 0);
const summary = (r) => `${r.name}: requests ${r.requests}, admitted ${r.admitted}, limited ${r.limited}` +
  `${Object.keys(r.other).length ? `, other ${JSON.stringify(r.other)}` : ''}` +
  `${Object.keys(r.failures).length ? `, failures ${JSON.stringify(r.failures)}` : ''}, max latency ${r.maxLatencyMs.toFixed(1)} ms`;

describe(`global rate limit across three tollgate processes sharing ${CLUSTER ? 'a Redis Cluster' : 'one Redis'}`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-accuracy-'));
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);
  const adminPassword = `e2e-${crypto.randomBytes(12).toString('hex')}`;
  const admin = { user: 'admin', password: adminPassword };
  const redis = CLUSTER ? new RedisCluster() : new RedisServer();
  const procs = []; // tollgate processes
  const enforcers = []; // { name, port } of the HTTP authz listeners
  let mgmtUrl;
  let api;
  let failed = false;

  const rest = (method, urlPath, body) => request(`${mgmtUrl}${urlPath}`, { method, body, auth: admin });
  const t = (name, fn, options = {}) => test(name, options, async (...args) => {
    try { return await fn(...args); } catch (e) { failed = true; throw e; }
  });

  // Answer of one enforcer for `key` (nginx convention): { status, tgStatus }.
  const check = async (port, key) => {
    const r = await request(`http://127.0.0.1:${port}/_tollgate/nginx`, {
      headers: { 'x-original-uri': '/petstore/v1/pets', 'x-original-method': 'GET', apikey: key }, timeoutMs: 2000,
    });
    return { status: r.status, tgStatus: r.headers['x-tollgate-status'], code: r.headers['x-tollgate-code'], headers: r.headers };
  };

  /** A new application subscribed to `api` with `plan`, a key, known to every enforcer. */
  async function subscriber(label, plan) {
    const app = expectStatus(await rest('POST', '/api/v1/applications', { name: `${label}-${crypto.randomBytes(3).toString('hex')}` }), 201, 'create application').json;
    const sub = expectStatus(await rest('POST', `/api/v1/applications/${app.id}/subscriptions`, { apiId: api.id, plan }), 201, 'subscribe').json;
    const key = expectStatus(await rest('POST', `/api/v1/applications/${app.id}/api-keys`, { name: 'k' }), 201, 'create key').json.key;
    // A key without subscription, created after: once every enforcer knows it (403
    // not_subscribed), it knows the subscribed key too — without spending its budget.
    const other = expectStatus(await rest('POST', '/api/v1/applications', { name: `${label}-sentinel-${crypto.randomBytes(3).toString('hex')}` }), 201).json;
    const sentinel = expectStatus(await rest('POST', `/api/v1/applications/${other.id}/api-keys`, { name: 's' }), 201).json.key;
    for (const e of enforcers) {
      await waitUntil(`${e.name} knows the new keys`, async () => {
        const r = await check(e.port, sentinel);
        return r.status === 403 && r.code === 'not_subscribed';
      }, { timeoutMs: 5000, intervalMs: 20 });
    }
    return { app, sub, key };
  }

  before(async () => {
    await redis.start();
    const ports = async () => ({ http: await freePort(), grpc: await freePort(), authz: await freePort() });
    // Cluster: each process starts from a different node (any node must do).
    const common = (i) => ['--counters', CLUSTER ? redis.nodes[i].url : redis.url, '--poll-ms', '100'];
    const pa = await ports();
    procs.push(await spawnTollgate({ name: 'tollgate-A', dataDir, cwd: dir, ports: pa, role: 'all', args: common(0), adminPassword }));
    enforcers.push({ name: 'A', port: pa.authz });
    mgmtUrl = `http://127.0.0.1:${pa.http}`;
    const [pb, pc] = [await ports(), await ports()];
    const [b, c] = await Promise.all([
      spawnTollgate({ name: 'tollgate-B', dataDir, cwd: dir, ports: pb, role: 'enforcer', args: common(1) }),
      spawnTollgate({ name: 'tollgate-C', dataDir, cwd: dir, ports: pc, role: 'enforcer', args: common(2) }),
    ]);
    procs.push(b, c);
    enforcers.push({ name: 'B', port: pb.authz }, { name: 'C', port: pc.authz });

    expectStatus(await rest('POST', '/api/v1/plans', {
      name: 'Accuracy', description: 'global rate', rate: { requests: RATE, per: 'second', burst: BURST },
    }), 201, 'create plan');
    expectStatus(await rest('POST', '/api/v1/plans', {
      name: 'Steady', description: 'high global rate', rate: { requests: STEADY_RATE, per: 'second', burst: STEADY_RATE - 1 },
    }), 201, 'create plan Steady');
    api = expectStatus(await rest('POST', '/api/v1/apis', {
      name: `Petstore-${crypto.randomBytes(3).toString('hex')}`, version: 'v1', context: '/petstore/v1',
      upstream: 'http://127.0.0.1:9', plans: ['Accuracy', 'Steady'],
      resources: [{ method: 'GET', path: '/pets', auth: 'apiKey' }],
    }), 201, 'create API').json;
    expectStatus(await rest('POST', `/api/v1/apis/${api.id}/lifecycle`, { action: 'publish' }), 200, 'publish');
  });

  after(async () => {
    if (failed || VERBOSE) {
      for (const p of [...procs, ...(CLUSTER ? redis.procs : [redis.proc])].filter(Boolean)) console.error(`--- last output of ${p.name} ---\n${p.tail(60)}`);
    }
    await Promise.all(procs.map((p) => p.stop()));
    await redis.destroy();
    if (!process.env.TOLLGATE_E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    else console.error(`kept ${dir}`);
  });

  t('admitted requests stay within the stated bound; Redis operations per request', async (tc) => {
    const { key } = await subscriber('accuracy', 'Accuracy');
    for (const e of enforcers) {
      const r = await check(e.port, key);
      assert.equal(r.status, 200, `${e.name} admits the key: ${JSON.stringify(r)}`);
      tc.diagnostic(`${e.name}: RateLimit-Policy ${r.headers['ratelimit-policy']}`);
    }
    await sleep(1200); // idle keys give their leases back after 1 s: start from a settled bucket

    const callsBefore = await redis.commandCalls();
    const cmdsBefore = await redis.totalCommands();
    const durationMs = 4000;
    const t0 = performance.now();
    const results = await drive(enforcers, { durationMs, t0, key });
    const elapsedS = Math.max(...results.map((r) => r.lastDoneMs)) / 1000;
    const cmdsAfter = await redis.totalCommands();
    const calls = callsDelta(callsBefore, await redis.commandCalls());

    const admitted = total(results, 'admitted');
    const requests = total(results, 'requests');
    const commands = cmdsAfter - cmdsBefore - 1; // minus the INFO that read the first figure
    const ideal = C + RATE * elapsedS;
    const upper = ideal + SLACK;
    // Not grossly under: within 1% of rate·t or one burst of the ideal, whichever is looser.
    const lower = Math.min(0.99 * RATE * elapsedS, ideal - C);
    const opsPerRequest = commands / requests;
    for (const r of results) tc.diagnostic(summary(r));
    tc.diagnostic(`elapsed ${elapsedS.toFixed(3)} s, ${requests} requests (${(requests / elapsedS).toFixed(0)}/s), ` +
      `admitted ${admitted}; ideal C + rate·t = ${ideal.toFixed(1)}; bound + R·(Lmax+A) = ${upper.toFixed(1)} ` +
      `(C=${C}, R=${R}, Lmax=${LMAX}, A=${CREDIT}); lower bound ${lower.toFixed(1)}; ` +
      `deviation from ideal ${(((admitted - ideal) / ideal) * 100).toFixed(2)}%`);
    const sent = sentOps(calls);
    tc.diagnostic(`Redis over the limit: total_commands_processed +${commands} for ${requests} requests = ` +
      `${opsPerRequest.toFixed(4)} commands/request (${(commands / admitted).toFixed(3)} per admitted request, ` +
      `${(commands / elapsedS).toFixed(0)}/s); operations sent (scripts) ${sent} = ${(sent / requests).toFixed(4)}/request, ` +
      `${(sent / admitted).toFixed(3)} per admitted, ${(sent / elapsedS).toFixed(0)}/s; by command: ${JSON.stringify(calls)}`);

    for (const r of results) {
      assert.deepEqual(r.failures, {}, `${r.name}: no connection errors or timeouts`);
      assert.deepEqual(r.other, {}, `${r.name}: only 200 or 403/429 answers`);
      assert.ok(r.admitted > 0, `${r.name} admitted some requests`);
    }
    assert.ok(requests > 3 * (C + RATE * elapsedS), `the load is well above the limit: ${requests} requests`);
    assert.ok(admitted <= upper, `admitted ${admitted} ≤ C + rate·t + R·(Lmax+A) = ${upper.toFixed(1)}`);
    assert.ok(admitted >= lower, `admitted ${admitted} ≥ min(99% of rate·t, ideal − C) = ${lower.toFixed(1)}`);
    if (CLUSTER) {
      // Every call went to the master serving its slot: none was redirected (a client that does
      // not route by slot gets MOVED from two nodes of three) or mixed slots.
      const errors = await redis.errorCounts();
      tc.diagnostic(`cluster: evalsha per node ${JSON.stringify(await Promise.all(redis.nodes.map(async (n) => (await n.commandCalls()).evalsha || 0)))}, ` +
        `error replies ${JSON.stringify(errors)}`);
      assert.ok((calls.evalsha || 0) > 0, 'lease scripts ran in the cluster');
      assert.equal(errors.MOVED || 0, 0, 'no MOVED reply');
      assert.equal(errors.CROSSSLOT || 0, 0, 'no CROSSSLOT reply');
    }
  });

  t('steady load under the limit: Redis operations per request', async (tc) => {
    const { key } = await subscriber('steady', 'Steady');
    await sleep(200);
    const loops = 8;
    const callsBefore = await redis.commandCalls();
    const cmdsBefore = await redis.totalCommands();
    const t0 = performance.now();
    const results = await drive(enforcers, { durationMs: 3000, t0, key, loops, intervalMs: (1000 * loops) / STEADY_PER_ENFORCER });
    const elapsedS = Math.max(...results.map((r) => r.lastDoneMs)) / 1000;
    const cmdsAfter = await redis.totalCommands();
    const calls = callsDelta(callsBefore, await redis.commandCalls());
    const requests = total(results, 'requests');
    const commands = cmdsAfter - cmdsBefore - 1;
    const opsPerRequest = commands / requests;
    for (const r of results) tc.diagnostic(summary(r));
    const sent = sentOps(calls);
    const sentPerRequest = sent / requests;
    tc.diagnostic(`steady: ${requests} requests in ${elapsedS.toFixed(3)} s (${(requests / elapsedS).toFixed(0)}/s, ` +
      `limit ${STEADY_RATE}/s): total_commands_processed +${commands} = ${opsPerRequest.toFixed(4)} commands/request ` +
      `(${(commands / elapsedS).toFixed(1)}/s, counting the commands inside the scripts); operations sent (scripts) ` +
      `${sent} = ${sentPerRequest.toFixed(4)}/request (${(sent / elapsedS).toFixed(1)}/s); issue target ≤ 0.05; ` +
      `by command: ${JSON.stringify(calls)}`);
    for (const r of results) {
      assert.deepEqual(r.failures, {}, `${r.name}: no connection errors or timeouts`);
      assert.deepEqual(r.other, {}, `${r.name}: only 200 or 403/429 answers`);
      assert.equal(r.limited, 0, `${r.name}: nothing refused under the limit`);
    }
    assert.ok(requests / elapsedS > 0.8 * R * STEADY_PER_ENFORCER, `the offered load was reached: ${(requests / elapsedS).toFixed(0)}/s`);
    // The issue's target counts operations sent to Redis (a lease script is one); the commands a
    // script runs inside Redis are printed above but not held to it.
    assert.ok(sentPerRequest <= 0.05, `Redis operations per request at steady load ${sentPerRequest.toFixed(4)} ≤ 0.05`);
  }, CLUSTER_SKIP);

  t('Redis stopped mid-run and restarted 1 s later: answers continue, degraded, then consistent again', async (tc) => {
    const { key } = await subscriber('outage', 'Accuracy');
    await sleep(200);
    const durationMs = 8000;
    const stopAtMs = 2000;
    const t0 = performance.now();
    const events = {};
    const chaos = (async () => {
      await sleep(stopAtMs - (performance.now() - t0));
      events.stopAt = performance.now() - t0;
      const info = await redis.stop();
      events.stopped = performance.now() - t0;
      events.stopInfo = info;
      await sleep(1000);
      events.startAt = performance.now() - t0;
      await redis.start();
      events.started = performance.now() - t0;
    })();
    const [results] = await Promise.all([drive(enforcers, { durationMs, t0, key }), chaos]);
    const endMs = Math.max(...results.map((r) => r.lastDoneMs));

    for (const r of results) tc.diagnostic(summary(r));
    tc.diagnostic(`redis: SIGTERM at ${events.stopAt.toFixed(0)} ms, exited at ${events.stopped.toFixed(0)} ms ` +
      `(${JSON.stringify(events.stopInfo)}), restarted at ${events.startAt.toFixed(0)} ms, answering PING at ` +
      `${events.started.toFixed(0)} ms; run ended at ${endMs.toFixed(0)} ms`);
    // Admissions per 500 ms, all enforcers together.
    const series = [];
    for (let from = 0; from < endMs; from += 500) {
      series.push(`${(from / 1000).toFixed(1)}s:${windowSum(results, 'admitted', from, from + 500)}` +
        `/${windowSum(results, 'limited', from, from + 500)}`);
    }
    tc.diagnostic(`admitted/limited per 500 ms: ${series.join(' ')}`);

    const before = aligned(0, events.stopAt);
    const outage = aligned(events.stopAt, events.started);
    const recovery = aligned(events.started + 2500, endMs);
    const win = (w, f) => windowSum(results, f, w.from, w.to);
    const sec = (w) => (w.to - w.from) / 1000;
    const report = (label, w) => {
      const a = win(w, 'admitted');
      const l = win(w, 'limited');
      tc.diagnostic(`${label} [${(w.from / 1000).toFixed(2)}–${(w.to / 1000).toFixed(2)} s, ${sec(w).toFixed(2)} s]: ` +
        `admitted ${a} (rate·t = ${(RATE * sec(w)).toFixed(0)}), limited ${l}, bad ${win(w, 'bad')}`);
      return { a, l };
    };
    const pre = report('before the outage', before);
    const during = report('Redis down', outage);
    const post = report('after recovery (from restart + 2.5 s)', recovery);
    const all = total(results, 'admitted');
    const allS = endMs / 1000;
    tc.diagnostic(`whole run ${allS.toFixed(2)} s: admitted ${all}; C + rate·t = ${(C + RATE * allS).toFixed(0)} ` +
      `(the restarted Redis had no persistence: its bucket starts full again)`);

    // Every request was answered, promptly, and only with a decision.
    for (const r of results) {
      assert.deepEqual(r.failures, {}, `${r.name}: no connection errors or timeouts`);
      assert.deepEqual(r.other, {}, `${r.name}: only 200 or 403/429 answers (no 5xx)`);
      assert.ok(r.maxLatencyMs < 1000, `${r.name}: no answer took ≥ 1 s (max ${r.maxLatencyMs.toFixed(0)} ms)`);
    }
    // Before the outage: the same bound as the first test.
    assert.ok(pre.a <= C + RATE * sec(before) + SLACK, `before the outage: ${pre.a} ≤ bound`);
    // While Redis is down decisions continue: local fair shares admit some, the rest is refused
    // (fail closed), within the degraded bound C + rate·t + R·Lmax.
    assert.ok(during.a > 0, 'admissions (local fair share) while Redis is down');
    assert.ok(during.l > 0, 'refusals (fail closed) while Redis is down');
    assert.ok(during.a <= C + RATE * sec(outage) + R * LMAX,
      `while down: admitted ${during.a} ≤ C + rate·t + R·Lmax = ${(C + RATE * sec(outage) + R * LMAX).toFixed(0)}`);
    // After recovery: within the bound, and not grossly under (each replica asks Redis again).
    const postUpper = C + RATE * sec(recovery) + SLACK;
    assert.ok(post.a <= postUpper, `after recovery: admitted ${post.a} ≤ ${postUpper.toFixed(0)}`);
    assert.ok(post.a >= 0.9 * RATE * sec(recovery),
      `after recovery: admitted ${post.a} ≥ 90% of rate·t = ${(0.9 * RATE * sec(recovery)).toFixed(0)}`);
  }, CLUSTER_SKIP);
});
