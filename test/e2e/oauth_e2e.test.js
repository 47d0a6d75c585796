// End to end: Tollgate as an OAuth2 authorization server, seen by a standard client library.
// Client credentials over plain HTTP, the token verified with `jose` against the published JWKS,
// introspection, revocation, the RFC 8414 metadata, and keys that survive a restart.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort, request, expectStatus, spawnTollgate } = require('./harness');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-oauth-e2e-'));
const dataDir = path.join(dir, 'data');
const admin = { user: 'admin', password: `e2e-${crypto.randomBytes(12).toString('hex')}` };
let ports;
let proc;
let jose;
let failed = false;

const base = () => `http://127.0.0.1:${ports.http}`;
const rest = (method, urlPath, body) => request(`${base()}${urlPath}`, { method, body, auth: admin });
const form = (urlPath, params, auth) => request(`${base()}${urlPath}`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(params).toString(),
  auth,
});

async function start() {
  proc = await spawnTollgate({ name: 'tollgate', dataDir, cwd: dir, ports, adminPassword: admin.password,
    args: ['--token-ttl', '600'] });
}

const state = {};

before(async () => {
  jose = await import('jose');
  fs.mkdirSync(dataDir);
  ports = { http: await freePort(), grpc: await freePort(), authz: await freePort() };
  await start();
  const api = expectStatus(await rest('POST', '/api/v1/apis', {
    name: `Orders-${crypto.randomBytes(3).toString('hex')}`, version: 'v1', context: '/orders/v1',
    upstream: 'http://127.0.0.1:9', resources: [
      { method: 'GET', path: '/orders', auth: 'oauth2', scopes: ['orders:read'] },
      { method: 'POST', path: '/orders', auth: 'oauth2', scopes: ['orders:write'] },
    ],
  }), 201, 'create API').json;
  expectStatus(await rest('POST', `/api/v1/apis/${api.id}/lifecycle`, { action: 'publish' }), 200, 'publish');
  const app = expectStatus(await rest('POST', '/api/v1/applications', { name: 'oauth-e2e' }), 201, 'app').json;
  expectStatus(await rest('POST', `/api/v1/applications/${app.id}/subscriptions`, { apiId: api.id }), 201, 'subscribe');
  const client = expectStatus(
    await rest('POST', `/api/v1/applications/${app.id}/oauth-clients`, { name: 'e2e' }), 201, 'client').json;
  assert.match(client.clientId, /^tgc_/);
  assert.match(client.clientSecret, /^tgs_[0-9A-Za-z]{40}$/);
  Object.assign(state, { api, app, client, creds: { user: client.clientId, password: client.clientSecret } });
});

after(async () => {
  if (failed && proc) console.error(`--- last output of tollgate ---\n${proc.tail(80)}`);
  if (proc) await proc.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const guard = (fn) => async (...args) => { try { return await fn(...args); } catch (e) { failed = true; throw e; } };

test('the metadata document describes the authorization server (RFC 8414)', guard(async () => {
  const res = expectStatus(await request(`${base()}/.well-known/oauth-authorization-server`), 200, 'metadata');
  const meta = res.json;
  assert.equal(meta.issuer, base());
  assert.equal(meta.token_endpoint, `${base()}/oauth2/token`);
  assert.equal(meta.jwks_uri, `${base()}/oauth2/jwks`);
  assert.equal(meta.introspection_endpoint, `${base()}/oauth2/introspect`);
  assert.equal(meta.revocation_endpoint, `${base()}/oauth2/revoke`);
  assert.deepEqual(meta.grant_types_supported, ['client_credentials']);
  assert.deepEqual(meta.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
  assert.deepEqual(meta.scopes_supported, ['orders:read', 'orders:write']);
  state.meta = meta;
}));

test('client credentials give a JWT that jose verifies against the JWKS', guard(async () => {
  const res = expectStatus(await form('/oauth2/token', { grant_type: 'client_credentials', scope: 'orders:read' },
    state.creds), 200, 'token');
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.json.token_type, 'Bearer');
  assert.equal(res.json.expires_in, 600);
  assert.equal(res.json.scope, 'orders:read');
  const jwks = jose.createRemoteJWKSet(new URL(state.meta.jwks_uri));
  const { payload, protectedHeader } = await jose.jwtVerify(res.json.access_token, jwks, {
    issuer: state.meta.issuer, audience: 'tollgate', algorithms: ['ES256'],
  });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.sub, state.client.clientId);
  assert.equal(payload.client_id, state.client.clientId);
  assert.equal(payload.scope, 'orders:read');
  assert.equal(payload.exp - payload.iat, 600);
  assert.ok(payload.jti);
  state.token = res.json.access_token;

  // client_secret_post works too, and without a scope parameter every allowed scope is granted.
  const post = expectStatus(await form('/oauth2/token', {
    grant_type: 'client_credentials', client_id: state.client.clientId, client_secret: state.client.clientSecret,
  }), 200, 'token by client_secret_post');
  assert.equal(post.json.scope, 'orders:read orders:write');
}));

test('token endpoint errors are RFC 6749 errors', guard(async () => {
  const bad = await form('/oauth2/token', { grant_type: 'client_credentials' },
    { user: state.client.clientId, password: 'tgs_wrong' });
  assert.equal(bad.status, 401);
  assert.equal(bad.json.error, 'invalid_client');
  assert.match(bad.headers['www-authenticate'], /^Basic/);
  const asJson = await request(`${base()}/oauth2/token`, { method: 'POST', body: { grant_type: 'client_credentials' },
    auth: state.creds });
  assert.equal(asJson.status, 400);
  assert.equal(asJson.json.error, 'invalid_request');
  const scope = await form('/oauth2/token', { grant_type: 'client_credentials', scope: 'admin' }, state.creds);
  assert.equal(scope.status, 400);
  assert.equal(scope.json.error, 'invalid_scope');
}));

test('introspection says active, revocation makes it inactive', guard(async () => {
  const active = expectStatus(await form('/oauth2/introspect', { token: state.token }, state.creds), 200, 'introspect');
  assert.equal(active.json.active, true);
  assert.equal(active.json.client_id, state.client.clientId);
  assert.equal(active.json.scope, 'orders:read');
  assert.equal(active.json.token_type, 'Bearer');
  assert.equal(active.json.iss, base());

  expectStatus(await form('/oauth2/revoke', { token: state.token, token_type_hint: 'access_token' }, state.creds),
    200, 'revoke');
  expectStatus(await form('/oauth2/revoke', { token: 'not-a-token' }, state.creds), 200, 'revoke unknown');
  const inactive = expectStatus(await form('/oauth2/introspect', { token: state.token }, state.creds), 200,
    'introspect after revoke');
  assert.deepEqual(inactive.json, { active: false });
}));

test('the master key file is private and keys survive a restart', guard(async () => {
  const stat = fs.statSync(path.join(dataDir, 'master.key'));
  assert.equal(stat.mode & 0o777, 0o600);
  const res = expectStatus(await form('/oauth2/token', { grant_type: 'client_credentials' }, state.creds), 200, 'token');
  await proc.stop();
  await start();
  const again = expectStatus(await form('/oauth2/introspect', { token: res.json.access_token }, state.creds), 200,
    'introspect after restart');
  assert.equal(again.json.active, true);
  const jwks = expectStatus(await request(`${base()}/oauth2/jwks`), 200, 'jwks').json;
  assert.equal(jwks.keys.length, 1);
  assert.equal(jwks.keys[0].d, undefined);
  // New tokens after the restart verify with the same published key.
  const fresh = expectStatus(await form('/oauth2/token', { grant_type: 'client_credentials' }, state.creds), 200,
    'token after restart');
  await jose.jwtVerify(fresh.json.access_token, jose.createLocalJWKSet(jwks), { issuer: base(), audience: 'tollgate' });
}));

test('gateways accept our tokens on oauth2 resources: scopes, tampering and revocation', guard(async () => {
  const authz = (method, token) => request(`http://127.0.0.1:${ports.authz}/orders/v1/orders`, {
    method, headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const token = expectStatus(await form('/oauth2/token',
    { grant_type: 'client_credentials', scope: 'orders:read' }, state.creds), 200, 'token').json.access_token;

  // Allowed with the scope: the service learns the application, never the token.
  const ok = expectStatus(await authz('GET', token), 200, 'GET with orders:read');
  assert.equal(ok.headers['x-tollgate-application'], state.app.id);
  assert.match(ok.headers['x-envoy-auth-headers-to-remove'] || '', /authorization/i);

  // Missing scope: 403 with the scope the resource needs (RFC 6750 §3.1).
  const denied = await authz('POST', token);
  assert.equal(denied.status, 403, denied.text);
  assert.equal(denied.json.code, 'insufficient_scope');
  assert.match(denied.headers['www-authenticate'], /error="insufficient_scope", scope="orders:write"/);

  // No token, a token with a changed payload: 401 with a Bearer challenge.
  const none = await authz('GET');
  assert.equal(none.status, 401);
  assert.match(none.headers['www-authenticate'], /^Bearer/);
  const [h, p, sig] = token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  claims.scope = 'orders:read orders:write';
  const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
  const tampered = await authz('POST', forged);
  assert.equal(tampered.status, 401, tampered.text);
  assert.equal(tampered.json.code, 'invalid_credential');

  // Revoked (RFC 7009): refused by the enforcer within the snapshot delay.
  expectStatus(await form('/oauth2/revoke', { token }, state.creds), 200, 'revoke');
  let status = 0;
  for (let i = 0; i < 40 && status !== 401; i += 1) {
    status = (await authz('GET', token)).status;
    if (status !== 401) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(status, 401, 'a revoked token is refused within 2 s');
}));
