// Rate limits and quotas end to end through nginx (auth_request → Tollgate's HTTP authz listener →
// upstream), one Tollgate with in-process (memory) counters: a plan's rate (429 rate_limited with
// Retry-After, RateLimit and RateLimit-Policy), a monthly quota (429 quota_exceeded, the usage
// endpoint) and the quota surviving a graceful restart on the same data folder.
'use strict';

const assert = require('node:assert/strict');
const { describe, test, before, after } = require('node:test');
const { Stack, expectStatus, assertProblem, petstoreApi, timeUntil } = require('./harness');
const { createUpstream } = require('./upstream');

describe('rate limits and quotas through nginx (memory counters)', () => {
  const stack = new Stack();
  let upstream; // in-process demo upstream, so that the test can count what reached the service
  let upstreamHits = 0;
  let fx;

  before(async () => {
    await stack.start({ upstream: false });
    upstream = createUpstream();
    upstream.on('request', () => { upstreamHits += 1; });
    await new Promise((resolve, reject) => {
      upstream.once('error', reject);
      upstream.listen(stack.ports.upstream, '127.0.0.1', resolve);
    });

    const tiny = expectStatus(await stack.rest('POST', '/api/v1/plans', {
      name: 'Tiny', description: '5 per minute', rate: { requests: 5, per: 'minute', burst: 4 },
    }), 201, 'create plan Tiny').json;
    const monthly = expectStatus(await stack.rest('POST', '/api/v1/plans', {
      name: 'Quota3', description: '3 per month',
      quota: { requests: 3, period: 'month', anchor: 'calendar', timeZone: 'UTC' },
    }), 201, 'create plan Quota3').json;
    const api = expectStatus(await stack.rest('POST', '/api/v1/apis',
      petstoreApi(stack, { plans: ['Tiny', 'Quota3'] })), 201, 'create API').json;
    expectStatus(await stack.rest('POST', `/api/v1/apis/${api.id}/lifecycle`, { action: 'publish' }), 200, 'publish');

    const subscribe = async (appName, plan) => {
      const app = expectStatus(await stack.rest('POST', '/api/v1/applications', { name: appName }), 201, `create ${appName}`).json;
      const sub = expectStatus(await stack.rest('POST', `/api/v1/applications/${app.id}/subscriptions`,
        { apiId: api.id, plan }), 201, `subscribe ${appName} (${plan})`).json;
      const key = expectStatus(await stack.rest('POST', `/api/v1/applications/${app.id}/api-keys`,
        { name: `${appName}-key` }), 201, `key of ${appName}`).json;
      return { app, sub, key: key.key };
    };
    const rate = await subscribe('rate-client', 'Tiny');
    const quota = await subscribe('quota-client', 'Quota3');
    // A key without subscription, created last: once it is known (403 not_subscribed), so are the
    // others — without spending any of their budget on the wait.
    const sentinelApp = expectStatus(await stack.rest('POST', '/api/v1/applications', { name: 'sentinel' }), 201).json;
    const sentinel = expectStatus(await stack.rest('POST', `/api/v1/applications/${sentinelApp.id}/api-keys`,
      { name: 'sentinel' }), 201).json.key;
    await timeUntil(async () => (await stack.gateway('GET', '/petstore/v1/pets', { apikey: sentinel })).status === 403,
      { timeoutMs: 3000, intervalMs: 20 });
    fx = { tiny, monthly, api, rate, quota };
  });

  after(async () => {
    if (upstream) await new Promise((resolve) => { upstream.closeAllConnections(); upstream.close(resolve); });
    await stack.stop();
  });

  const t = (name, fn) => test(name, stack.guard(fn));


  const assertRetryAfter = (res) => {
    const ra = res.headers['retry-after'];
    assert.ok(ra !== undefined, `Retry-After on a 429 through nginx; headers: ${JSON.stringify(res.headers)}`);
    assert.match(ra, /^\d+$/, `Retry-After is a whole number of seconds: ${ra}`);
    assert.ok(Number(ra) >= 1, `Retry-After ≥ 1: ${ra}`);
    return Number(ra);
  };

  t('plan with rate 5/minute burst 4: 5 calls pass, the 6th is 429 rate_limited', async (tc) => {
    const before = upstreamHits;
    const allowed = [];
    for (let i = 1; i <= 5; i++) {
      const res = await stack.gateway('GET', `/petstore/v1/pets?call=${i}`, { apikey: fx.rate.key });
      expectStatus(res, 200, `call ${i} of 5`);
      assert.equal(res.json.service, 'petstore-demo');
      assert.equal(res.json.headers['x-tollgate-plan'], 'Tiny', 'the upstream is told the plan');
      allowed.push(res);
    }
    assert.equal(upstreamHits - before, 5, 'the 5 allowed calls reached the upstream');
    // Allowed answers carry the state of the limit too (nginx copies it from the subrequest).
    tc.diagnostic(`allowed #1 RateLimit: ${allowed[0].headers.ratelimit} | RateLimit-Policy: ${allowed[0].headers['ratelimit-policy']}`);
    tc.diagnostic(`allowed #5 RateLimit: ${allowed[4].headers.ratelimit}`);
    assert.equal(allowed[0].headers['ratelimit-policy'], '"Tiny";q=5;w=60');
    assert.match(allowed[0].headers.ratelimit || '', /^"Tiny";r=4;t=\d+$/, 'RateLimit after the 1st call');
    assert.match(allowed[4].headers.ratelimit || '', /^"Tiny";r=0;t=\d+$/, 'RateLimit after the 5th call');

    const sixth = await stack.gateway('GET', '/petstore/v1/pets?call=6', { apikey: fx.rate.key });
    tc.diagnostic(`6th call: ${sixth.status} Retry-After=${sixth.headers['retry-after']} ` +
      `RateLimit=${sixth.headers.ratelimit} RateLimit-Policy=${sixth.headers['ratelimit-policy']} body=${sixth.text}`);
    assertProblem(sixth, 429, 'rate_limited');
    const retryAfter = assertRetryAfter(sixth);
    // One token every 12 s: the client has to wait about that long.
    assert.ok(retryAfter <= 12, `Retry-After ≤ 12 s for 5/minute: ${retryAfter}`);
    assert.equal(sixth.headers['ratelimit-policy'], '"Tiny";q=5;w=60', 'RateLimit-Policy on the 429');
    assert.match(sixth.headers.ratelimit || '', /^"Tiny";r=0;t=\d+$/, 'RateLimit on the 429');
    assert.equal(upstreamHits - before, 5, 'the denied call did not reach the upstream');
  });

  t('a burst of further calls is denied and never reaches the upstream', async () => {
    const before = upstreamHits;
    const results = await Promise.all(Array.from({ length: 20 },
      (_, i) => stack.gateway('GET', `/petstore/v1/pets/${i}`, { apikey: fx.rate.key })));
    const statuses = results.map((r) => r.status);
    assert.deepEqual([...new Set(statuses)], [429], `all 429: ${statuses.join(',')}`);
    for (const r of results) assert.equal(r.json && r.json.code, 'rate_limited');
    assert.equal(upstreamHits - before, 0, 'no denied call reached the upstream');
  });

  const monthWindow = () => {
    const now = new Date();
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    const fmt = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { start: fmt(start), end: fmt(end) };
  };

  const usageOf = async () => expectStatus(await stack.rest('GET',
    `/api/v1/applications/${fx.quota.app.id}/subscriptions/${fx.quota.sub.id}/usage`), 200, 'usage').json;

  t('plan with quota 3/month: 3 calls pass, the 4th is 429 quota_exceeded; usage shows 3 used', async (tc) => {
    const before = upstreamHits;
    for (let i = 1; i <= 3; i++) {
      expectStatus(await stack.gateway('GET', `/petstore/v1/pets?q=${i}`, { apikey: fx.quota.key }), 200, `quota call ${i}`);
    }
    const fourth = await stack.gateway('GET', '/petstore/v1/pets?q=4', { apikey: fx.quota.key });
    tc.diagnostic(`4th call: ${fourth.status} Retry-After=${fourth.headers['retry-after']} ` +
      `RateLimit=${fourth.headers.ratelimit} RateLimit-Policy=${fourth.headers['ratelimit-policy']} body=${fourth.text}`);
    assertProblem(fourth, 429, 'quota_exceeded');
    assertRetryAfter(fourth);
    assert.equal(upstreamHits - before, 3, 'exactly 3 calls reached the upstream');

    const usage = await usageOf();
    tc.diagnostic(`usage: ${JSON.stringify(usage)}`);
    const w = monthWindow();
    assert.equal(usage.subscriptionId, fx.quota.sub.id);
    assert.equal(usage.plan, 'Quota3');
    assert.deepEqual(usage.quota, { limit: 3, used: 3, remaining: 0, windowStart: w.start, windowEnd: w.end });
  });

  t('the quota survives a graceful restart (SIGTERM) on the same data folder', async (tc) => {
    const info = await stack.restartTollgate(); // SIGTERM: the counters are saved at shutdown
    tc.diagnostic(`tollgate stopped with ${JSON.stringify(info)} and restarted`);
    assert.equal(info.code, 0, `graceful exit: ${JSON.stringify(info)}`);
    const before = upstreamHits;
    // nginx may still hold keep-alive connections to the old process: the first answer must
    // nevertheless be the quota's.
    const res = await stack.gateway('GET', '/petstore/v1/pets?q=after-restart', { apikey: fx.quota.key });
    assertProblem(res, 429, 'quota_exceeded');
    assert.equal(upstreamHits - before, 0);
    const usage = await usageOf();
    tc.diagnostic(`usage after restart: ${JSON.stringify(usage)}`);
    assert.equal(usage.quota.used, 3);
    assert.equal(usage.quota.remaining, 0);
  });
});
