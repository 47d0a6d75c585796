// End to end through nginx (auth_request → Tollgate's HTTP authz listener → demo upstream), plus
// the management REST API's basics: provisioning, revocation, restart on the same data, errors.
'use strict';

const assert = require('node:assert/strict');
const { describe, test, before, after } = require('node:test');
const { Stack, expectStatus, assertProblem, provision, timeUntil } = require('./harness');

describe('nginx gateway', () => {
  const stack = new Stack();
  let fx; // what provision() created
  let key; // the key in use (replaced after the revocation test)

  before(async () => {
    // --explain (as TOLLGATE_EXPLAIN): every answer names its decision in x-tollgate-decision.
    process.env.TOLLGATE_EXPLAIN = '1';
    await stack.start();
    fx = await provision(stack);
    key = fx.key.key;
    // Writes reach the enforcer's snapshot asynchronously (well under a second): wait until the
    // last key created is known.
    await timeUntil(async () => (await stack.gateway('GET', '/petstore/v1/pets', { apikey: fx.otherKey.key })).status === 403,
      { timeoutMs: 2000 }).catch(() => {});
  });
  after(() => stack.stop());

  const t = (name, fn) => test(name, stack.guard(fn));


  t('provisioning answers as the contract says', () => {
    assert.match(fx.api.id, /\S/);
    assert.equal(fx.api.lifecycle, 'CREATED');
    assert.equal(fx.published.lifecycle, 'PUBLISHED');
    assert.equal(fx.sub.status, 'ACTIVE');
    assert.equal(fx.sub.apiId, fx.api.id);
    assert.equal(fx.sub.applicationId, fx.app.id);
    assert.match(fx.key.key, /^tg_/);
    assert.ok(fx.key.id);
  });

  t('valid key in apikey → 200 from the upstream, facts added, key stripped', async () => {
    const res = await stack.gateway('GET', '/petstore/v1/pets', { apikey: key });
    expectStatus(res, 200);
    assert.equal(res.json.service, 'petstore-demo');
    assert.equal(res.json.method, 'GET');
    assert.equal(res.json.path, '/petstore/v1/pets');
    const seen = res.json.headers;
    assert.equal(seen['x-tollgate-application'], fx.app.id);
    assert.equal(seen['x-tollgate-api'], fx.api.id);
    assert.equal(seen.apikey, undefined, 'the upstream must not see the key');
    assert.equal(seen['x-api-key'], undefined);
  });

  t('path template and POST are matched', async () => {
    const one = expectStatus(await stack.gateway('GET', '/petstore/v1/pets/42?expand=1', { apikey: key }), 200);
    assert.equal(one.json.path, '/petstore/v1/pets/42?expand=1');
    const post = expectStatus(await stack.gateway('POST', '/petstore/v1/pets', { apikey: key }, { name: 'Rex' }), 200);
    assert.equal(post.json.method, 'POST');
    assert.deepEqual(JSON.parse(post.json.body), { name: 'Rex' }, 'the request body reaches the upstream');
  });

  t('client-sent x-tollgate-* headers are replaced', async () => {
    const res = expectStatus(await stack.gateway('GET', '/petstore/v1/pets', {
      apikey: key, 'x-tollgate-application': 'spoof', 'x-tollgate-api': 'spoof', 'x-tollgate-plan': 'spoof',
    }), 200);
    assert.equal(res.json.headers['x-tollgate-application'], fx.app.id);
    assert.equal(res.json.headers['x-tollgate-api'], fx.api.id);
    assert.notEqual(res.json.headers['x-tollgate-plan'], 'spoof');
  });

  t('key in x-api-key works too and is stripped', async () => {
    const res = expectStatus(await stack.gateway('GET', '/petstore/v1/pets', { 'x-api-key': key }), 200);
    assert.equal(res.json.headers['x-api-key'], undefined);
    assert.equal(res.json.headers['x-tollgate-application'], fx.app.id);
  });

  t('missing key → 401 missing_credential with WWW-Authenticate', async () => {
    const res = await stack.gateway('GET', '/petstore/v1/pets');
    assertProblem(res, 401, 'missing_credential');
    assert.ok(res.headers['www-authenticate'], 'WWW-Authenticate on 401');
  });

  t('wrong key → 401 invalid_credential', async () => {
    const res = await stack.gateway('GET', '/petstore/v1/pets', { apikey: 'tg_this-is-not-a-key' });
    assertProblem(res, 401, 'invalid_credential');
    assert.ok(res.headers['www-authenticate'], 'WWW-Authenticate on 401');
  });

  t('key of an application without subscription → 403 not_subscribed', async () => {
    const res = await stack.gateway('GET', '/petstore/v1/pets', { apikey: fx.otherKey.key });
    assertProblem(res, 403, 'not_subscribed');
  });

  t('unknown resource under the API → 404 resource_not_found', async () => {
    assertProblem(await stack.gateway('GET', '/petstore/v1/owners', { apikey: key }), 404, 'resource_not_found');
    assertProblem(await stack.gateway('DELETE', '/petstore/v1/pets/1', { apikey: key }), 404, 'resource_not_found');
  });

  t('unknown API → 404 api_not_found', async () => {
    assertProblem(await stack.gateway('GET', '/nothing/here', { apikey: key }), 404, 'api_not_found');
  });

  t('deleted key is denied within 1 s', async (tc) => {
    const doomed = expectStatus(
      await stack.rest('POST', `/api/v1/applications/${fx.app.id}/api-keys`, { name: 'doomed' }), 201).json;
    const ready = await timeUntil(async () => {
      const r = await stack.gateway('GET', '/petstore/v1/pets', { apikey: doomed.key });
      return r.status === 200;
    }, { timeoutMs: 3000, intervalMs: 20 });
    tc.diagnostic(`new key accepted after ${ready.toFixed(1)} ms`);
    assert.ok(ready <= 1000, `new key accepted only after ${ready} ms`);
    expectStatus(await stack.rest('DELETE', `/api/v1/applications/${fx.app.id}/api-keys/${doomed.id}`), 204, 'delete key');
    const ms = await timeUntil(async () => {
      const r = await stack.gateway('GET', '/petstore/v1/pets', { apikey: doomed.key });
      return r.status === 401;
    }, { timeoutMs: 3000, intervalMs: 50 });
    tc.diagnostic(`deleted key denied after ${ms.toFixed(1)} ms`);
    assert.ok(ms <= 1000, `deleted key still accepted after ${ms} ms`);
    const res = await stack.gateway('GET', '/petstore/v1/pets', { apikey: doomed.key });
    assertProblem(res, 401, 'invalid_credential');
    // The other key of the application is unaffected.
    expectStatus(await stack.gateway('GET', '/petstore/v1/pets', { apikey: key }), 200, 'other key');
    const listed = expectStatus(await stack.rest('GET', `/api/v1/applications/${fx.app.id}/api-keys`), 200).json;
    const items = listed.items ?? listed;
    assert.ok(Array.isArray(items), `key list: ${JSON.stringify(listed)}`);
    assert.ok(!items.some((k) => k.id === doomed.id), 'deleted key is not listed');
    assert.ok(!JSON.stringify(listed).includes(key), 'key values are never listed');
  });

  t('restart on the same data keeps APIs, applications, keys and revocations', async () => {
    const fresh = expectStatus(
      await stack.rest('POST', `/api/v1/applications/${fx.app.id}/api-keys`, { name: 'before-restart' }), 201).json;
    const info = await stack.restartTollgate();
    assert.ok(info.signal === 'SIGTERM' || info.code === 0, `graceful stop on SIGTERM: ${JSON.stringify(info)}`);

    const apis = expectStatus(await stack.rest('GET', '/api/v1/apis'), 200).json;
    assert.ok(apis.items.some((a) => a.id === fx.api.id && a.lifecycle === 'PUBLISHED'),
      `API listed after restart: ${JSON.stringify(apis)}`);
    assert.ok(apis.total >= 1);
    const apps = expectStatus(await stack.rest('GET', '/api/v1/applications'), 200).json;
    assert.ok(apps.items.some((a) => a.id === fx.app.id), 'application listed after restart');
    const subs = expectStatus(await stack.rest('GET', `/api/v1/applications/${fx.app.id}/subscriptions`), 200).json;
    assert.ok((subs.items ?? subs).some((s) => s.id === fx.sub.id), 'subscription listed after restart');

    const res = expectStatus(await stack.gateway('GET', '/petstore/v1/pets', { apikey: fresh.key }), 200, 'key after restart');
    assert.equal(res.json.headers['x-tollgate-application'], fx.app.id);
    expectStatus(await stack.gateway('GET', '/petstore/v1/pets', { apikey: key }), 200, 'first key after restart');
    assertProblem(await stack.gateway('GET', '/petstore/v1/pets', { apikey: 'tg_this-is-not-a-key' }), 401, 'invalid_credential');
    key = fresh.key;
  });

  t('--explain: the decision reaches the client through nginx, never the upstream', async () => {
    const ok = expectStatus(await stack.gateway('GET', '/petstore/v1/pets', { apikey: key }), 200);
    assert.match(ok.headers['x-tollgate-decision'] || '', /^allow\b/, JSON.stringify(ok.headers));
    assert.equal(ok.json.headers['x-tollgate-decision'], undefined, 'not forwarded to the service');
    const denied = await stack.gateway('GET', '/petstore/v1/owners', { apikey: key });
    assertProblem(denied, 404, 'resource_not_found');
    assert.match(denied.headers['x-tollgate-decision'] || '', /^resource_not_found\b/, JSON.stringify(denied.headers));
    const spoofed = expectStatus(await stack.gateway('GET', '/petstore/v1/pets?x=1',
      { apikey: key, 'x-tollgate-uri': '/admin', 'x-jwt-assertion': 'forged' }), 200);
    assert.equal(spoofed.json.path, '/petstore/v1/pets?x=1', 'the client cannot choose the upstream URI');
    assert.equal(spoofed.json.headers['x-jwt-assertion'], undefined, 'a client-sent backend JWT is dropped');
  });

  t('management API without credentials → 401', async () => {
    const res = await stack.rest('GET', '/api/v1/apis', undefined, { auth: null });
    assert.equal(res.status, 401, res.text);
    const wrong = await stack.rest('GET', '/api/v1/apis', undefined, { auth: { user: 'admin', password: 'wrong' } });
    assert.equal(wrong.status, 401, wrong.text);
  });

  t('invalid body → 400 problem+json naming the field', async () => {
    const body = { name: 'Broken', version: 'v1', upstream: stack.upstreamUrl, resources: [] }; // no context
    const res = await stack.rest('POST', '/api/v1/apis', body);
    assert.equal(res.status, 400, res.text);
    assert.match(res.headers['content-type'] || '', /^application\/problem\+json/);
    assert.equal(res.json.status, 400);
    assert.equal(typeof res.json.code, 'string');
    assert.equal(typeof res.json.field, 'string', `problem names the field: ${res.text}`);
    assert.match(res.json.field, /context/);
    const bad = await stack.rest('POST', '/api/v1/apis', '{not json', {});
    assert.equal(bad.status, 400, bad.text);
  });
});
