// The management plane as a portal and a script use it, against the real binary: a login cookie,
// CSRF-protected writes, a personal access token, and the audit log that records all of it.
'use strict';

const assert = require('node:assert/strict');
const { describe, test, before, after } = require('node:test');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnTollgate, freePort, request, expectStatus, assertProblem } = require('./harness');

describe('sessions, CSRF, personal access tokens and the audit log', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-session-e2e-'));
  const adminPassword = 'e2e-admin-password';
  const admin = { user: 'admin', password: adminPassword };
  let proc;
  let base;
  let cookie;
  let csrf;
  let token;
  let appId;

  const call = (method, urlPath, { body, auth, headers } = {}) =>
    request(`${base}${urlPath}`, { method, body, auth, headers });

  before(async () => {
    const ports = { http: await freePort(), grpc: await freePort(), authz: await freePort() };
    base = `http://127.0.0.1:${ports.http}`;
    proc = await spawnTollgate({ name: 'tollgate', dataDir: dir, ports, adminPassword, args: ['--signup'] });
    expectStatus(await call('POST', '/api/v1/users', {
      auth: admin, body: { name: 'dev', email: 'dev@example.com', role: 'subscriber', password: 'dev password 123' },
    }), 201, 'create user');
  });
  after(async () => {
    if (proc) await proc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('login answers a hardened session cookie and a CSRF token', async () => {
    assertProblem(await call('POST', '/api/v1/session', { body: { name: 'dev', password: 'wrong password!' } }),
      401, 'invalid_login');
    const res = expectStatus(await call('POST', '/api/v1/session', { body: { name: 'dev', password: 'dev password 123' } }),
      200, 'login');
    const setCookie = res.headers['set-cookie'][0];
    assert.match(setCookie, /^tollgate_session=[A-Za-z0-9_-]{43};/);
    for (const attr of ['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=28800']) {
      assert.ok(setCookie.includes(attr), `${attr} in ${setCookie}`);
    }
    cookie = setCookie.split(';')[0];
    csrf = res.json.csrfToken;
    assert.ok(csrf, 'csrfToken in the body');
    const me = expectStatus(await call('GET', '/api/v1/me', { headers: { cookie } }), 200, 'me by cookie');
    assert.equal(me.json.name, 'dev');
  });

  test('a POST by cookie needs the CSRF token', async () => {
    assertProblem(await call('POST', '/api/v1/applications', { headers: { cookie }, body: { name: 'portal-app' } }),
      403, 'csrf_token_invalid');
    assertProblem(await call('POST', '/api/v1/applications', {
      headers: { cookie, 'x-csrf-token': 'forged' }, body: { name: 'portal-app' },
    }), 403, 'csrf_token_invalid');
    const app = expectStatus(await call('POST', '/api/v1/applications', {
      headers: { cookie, 'x-csrf-token': csrf }, body: { name: 'portal-app' },
    }), 201, 'create application with the token');
    appId = app.json.id;
  });

  test('a personal access token works as Bearer and is shown once', async () => {
    const created = expectStatus(await call('POST', '/api/v1/me/tokens', {
      headers: { cookie, 'x-csrf-token': csrf }, body: { name: 'ci' },
    }), 201, 'create token');
    token = created.json.token;
    assert.match(token, /^tgp_[A-Za-z0-9]{40}$/);
    const listed = expectStatus(await call('GET', '/api/v1/me/tokens', { headers: { cookie } }), 200);
    assert.ok(!listed.text.includes(token), 'the token is not shown again');
    const bearer = { authorization: `Bearer ${token}` };
    const me = expectStatus(await call('GET', '/api/v1/me', { headers: bearer }), 200, 'me by token');
    assert.equal(me.json.name, 'dev');
    expectStatus(await call('POST', `/api/v1/applications/${appId}/api-keys`, { headers: bearer, body: { name: 'k' } }),
      201, 'create a key with the token');
    assertProblem(await call('GET', '/api/v1/users', { headers: bearer }), 403, 'forbidden');
    assertProblem(await call('GET', '/api/v1/me', { headers: { authorization: 'Bearer tgp_forged' } }), 401, 'invalid_token');
  });

  test('the audit log holds those changes, newest first, without secrets', async () => {
    const log = expectStatus(await call('GET', '/api/v1/audit?actor=dev', { auth: admin }), 200, 'audit').json;
    const actions = log.items.map((e) => e.action);
    assert.deepEqual(actions, ['key.create', 'token.create', 'application.create', 'session.login'], JSON.stringify(log));
    const app = log.items.find((e) => e.action === 'application.create');
    assert.equal(app.targetId, appId);
    assert.equal(app.after.name, 'portal-app');
    assert.ok(!JSON.stringify(log).includes(token), 'no token in the audit log');
    const all = expectStatus(await call('GET', '/api/v1/audit?action=user.create', { auth: admin }), 200).json;
    assert.equal(all.items[0].actor, 'admin');
    assert.ok(!JSON.stringify(all).includes('argon2'), 'no password hash in the audit log');
  });

  test('logout ends the session and expires the cookie', async () => {
    assertProblem(await call('DELETE', '/api/v1/session', { headers: { cookie } }), 403, 'csrf_token_invalid');
    const out = expectStatus(await call('DELETE', '/api/v1/session', { headers: { cookie, 'x-csrf-token': csrf } }), 204);
    assert.match(out.headers['set-cookie'][0], /Max-Age=0/);
    assertProblem(await call('GET', '/api/v1/me', { headers: { cookie } }), 401, 'session_invalid');
    const log = expectStatus(await call('GET', '/api/v1/audit?action=session.logout', { auth: admin }), 200).json;
    assert.equal(log.total, 1);
  });

  test('self-signup creates a subscriber (enabled with --signup)', async () => {
    const res = expectStatus(await call('POST', '/api/v1/signup', {
      body: { name: 'newcomer', password: 'newcomer password', role: 'admin' },
    }), 201, 'signup');
    assert.equal(res.json.role, 'subscriber');
  });
});
