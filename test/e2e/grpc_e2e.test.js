// End to end over Envoy's ext_authz v3 gRPC API (envoy.service.auth.v3.Authorization/Check), with
// the real Envoy .proto files of @grpc/grpc-js-xds and the @grpc/grpc-js client: the same
// decisions as through nginx.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { describe, test, before, after } = require('node:test');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const { Stack, REPO_ROOT, expectStatus, petstoreApi, provision, timeUntil } = require('./harness');

const DEPS = path.join(REPO_ROOT, 'node_modules', '@grpc', 'grpc-js-xds', 'deps');

function loadAuthorization() {
  const def = protoLoader.loadSync('envoy/service/auth/v3/external_auth.proto', {
    keepCase: true,
    longs: String,
    defaults: true,
    oneofs: true,
    includeDirs: ['envoy-api', 'xds', 'protoc-gen-validate', 'googleapis'].map((d) => path.join(DEPS, d)),
  });
  return grpc.loadPackageDefinition(def).envoy.service.auth.v3.Authorization;
}

/** A CheckRequest as Envoy sends it; `headerMap` uses the header_map (raw_value bytes) form. */
function checkRequest({ method = 'GET', path: p, host = 'api.example.com', headers = {}, headerMap = false,
  rawHeaders = {}, extensions, principal, certificate, sni }) {
  const all = { ':authority': host, ':method': method, ':path': p, ':scheme': 'http', ...headers };
  const httpReq = { id: String(Date.now()), method, path: p, host, scheme: 'http', protocol: 'HTTP/1.1' };
  if (headerMap) {
    httpReq.header_map = { headers: Object.entries(all).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) };
  } else {
    httpReq.headers = all;
    const raw = Object.entries(rawHeaders);
    if (raw.length) httpReq.header_map = { headers: raw.map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) };
  }
  return {
    attributes: {
      ...(extensions ? { context_extensions: extensions } : {}),
      source: {
        address: { socket_address: { address: '10.0.0.7', port_value: 51000 } },
        principal: principal || '',
        certificate: certificate || '',
      },
      destination: { address: { socket_address: { address: '10.0.0.1', port_value: 8080 } } },
      request: { http: httpReq },
      ...(sni ? { tls_session: { sni } } : {}),
    },
  };
}

/**
 * A self-signed certificate whose subject alternative names are `san` (openssl syntax), URL-encoded
 * PEM as Envoy sends it in source.certificate (include_peer_certificate: true).
 */
function peerCertificate(san) {
  const pem = execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', '/dev/null', '-subj', '/CN=workload', '-days', '1', '-addext', `subjectAltName=${san}`],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return encodeURIComponent(pem);
}

const headerValue = (opt) => {
  const h = opt.header || {};
  if (h.value) return h.value;
  return h.raw_value && h.raw_value.length ? Buffer.from(h.raw_value).toString('utf8') : '';
};
const headersOf = (list) => Object.fromEntries((list || []).map((o) => [o.header.key.toLowerCase(), headerValue(o)]));

describe('Envoy ext_authz v3 over gRPC', () => {
  const stack = new Stack();
  let client;
  let fx;
  const t = (name, fn) => test(name, stack.guard(fn));

  const check = (req) => new Promise((resolve, reject) => {
    client.Check(checkRequest(req), { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res)));
  });

  const assertDenied = (res, httpStatus, grpcCode, code) => {
    assert.equal(res.http_response, 'denied_response', `expected a denial, got ${JSON.stringify(res)}`);
    assert.equal(res.denied_response.status.code, httpStatus, `HTTP status: ${JSON.stringify(res.denied_response)}`);
    assert.equal(res.status.code, grpcCode, `gRPC status: ${JSON.stringify(res.status)}`);
    const body = JSON.parse(res.denied_response.body);
    assert.equal(body.code, code, `problem body: ${res.denied_response.body}`);
    assert.equal(body.status, httpStatus);
    const h = headersOf(res.denied_response.headers);
    assert.match(h['content-type'] || '', /^application\/problem\+json/, `denial headers: ${JSON.stringify(h)}`);
    if (httpStatus === 401) assert.ok(h['www-authenticate'], 'WWW-Authenticate on 401');
    return body;
  };

  const assertAllowed = (res, keyHeader) => {
    assert.equal(res.status.code, 0, `expected OK, got ${JSON.stringify(res)}`);
    assert.equal(res.http_response, 'ok_response', JSON.stringify(res));
    const h = headersOf(res.ok_response.headers);
    assert.equal(h['x-tollgate-application'], fx.app.id, `ok headers: ${JSON.stringify(h)}`);
    assert.equal(h['x-tollgate-api'], fx.api.id);
    assert.ok(res.ok_response.headers_to_remove.map((s) => s.toLowerCase()).includes(keyHeader),
      `headers_to_remove has ${keyHeader}: ${JSON.stringify(res.ok_response.headers_to_remove)}`);
  };

  before(async () => {
    await stack.start({ nginx: false, upstream: false });
    const Authorization = loadAuthorization();
    client = new Authorization(stack.grpcAddr, grpc.credentials.createInsecure());
    fx = await provision(stack);
    // Writes reach the enforcer's snapshot asynchronously (well under a second): wait until the
    // last key created is known.
    await timeUntil(async () => (await check({ path: '/petstore/v1/pets', headers: { apikey: fx.otherKey.key } })).status.code === 7,
      { timeoutMs: 2000 }).catch(() => {});
  });
  after(async () => {
    if (client) client.close();
    await stack.stop();
  });

  t('valid key → OK with the facts as headers and the key removed', async () => {
    assertAllowed(await check({ path: '/petstore/v1/pets', headers: { apikey: fx.key.key } }), 'apikey');
    assertAllowed(await check({ path: '/petstore/v1/pets/7?x=1', headers: { apikey: fx.key.key } }), 'apikey');
    assertAllowed(await check({ method: 'POST', path: '/petstore/v1/pets', headers: { 'x-api-key': fx.key.key } }), 'x-api-key');
  });

  t('header_map form (raw_value bytes) works too', async () => {
    assertAllowed(await check({ path: '/petstore/v1/pets', headers: { apikey: fx.key.key }, headerMap: true }), 'apikey');
    assertDenied(await check({ path: '/petstore/v1/pets', headerMap: true }), 401, 16, 'missing_credential');
  });

  t('headers split over both forms, route extension and mesh principal are read', async () => {
    const res = await check({
      path: '/petstore/v1/pets', headers: { accept: '*/*' }, rawHeaders: { apikey: fx.key.key },
      extensions: { tollgate_api: fx.api.id }, principal: 'spiffe://cluster.local/ns/shop/sa/web',
    });
    assertAllowed(res, 'apikey');
  });

  t('mesh identity from source.principal, or from the peer certificate when Envoy sends only that', async () => {
    const workload = 'spiffe://cluster.local/ns/shop/sa/checkout';
    const api = expectStatus(await stack.rest('POST', '/api/v1/apis', petstoreApi(stack, {
      context: '/inventory/v1', virtualHost: 'inventory.example.com',
      resources: [{ method: 'GET', path: '/items', auth: 'mesh' }],
    })), 201, 'create mesh API').json;
    expectStatus(await stack.rest('POST', `/api/v1/apis/${api.id}/lifecycle`, { action: 'publish' }), 200, 'publish');
    expectStatus(await stack.rest('POST', `/api/v1/applications/${fx.app.id}/subscriptions`, { apiId: api.id }), 201,
      'subscribe');
    expectStatus(await stack.rest('POST', `/api/v1/applications/${fx.app.id}/mesh-identities`, { principal: workload }),
      201, 'register mesh identity');
    const ask = (req) => check({ path: '/inventory/v1/items', host: 'inventory.example.com', ...req });
    await timeUntil(async () => (await ask({ principal: workload })).status.code === 0, { timeoutMs: 3000 });

    const allowedAs = (res) => {
      assert.equal(res.http_response, 'ok_response', JSON.stringify(res));
      const h = headersOf(res.ok_response.headers);
      assert.equal(h['x-tollgate-application'], fx.app.id, JSON.stringify(h));
      assert.equal(h['x-tollgate-api'], api.id);
    };
    allowedAs(await ask({ principal: workload }));
    allowedAs(await ask({ certificate: peerCertificate(`DNS:checkout.shop.svc,URI:${workload}`) }));
    // Without an authority, the TLS session's SNI routes to the API's virtual host.
    allowedAs(await ask({ host: '', sni: 'inventory.example.com', certificate: peerCertificate(`URI:${workload}`) }));

    const stranger = 'spiffe://cluster.local/ns/other/sa/stranger';
    const byPrincipal = assertDenied(await ask({ principal: stranger }), 401, 16, 'invalid_credential');
    const byCertificate = assertDenied(await ask({ certificate: peerCertificate(`URI:${stranger}`) }), 401, 16,
      'invalid_credential');
    assert.deepEqual(byCertificate, byPrincipal);
    assertDenied(await ask({ certificate: 'not%20a%20certificate' }), 401, 16, 'missing_credential');
  });

  t('dynamic_metadata carries the facts for access logs', async () => {
    const res = await check({ path: '/petstore/v1/pets', headers: { apikey: fx.key.key } });
    const fields = (res.dynamic_metadata && res.dynamic_metadata.fields) || {};
    // google.protobuf.Value comes back camel-cased (stringValue) whatever keepCase says.
    const str = (k) => fields[k] && (fields[k].stringValue ?? fields[k].string_value);
    assert.equal(str('code'), 'allow', JSON.stringify(res.dynamic_metadata));
    assert.equal(str('api_id'), fx.api.id);
    assert.equal(str('application_id'), fx.app.id);
    assert.ok(str('api_name') && str('api_version') && str('plan'), JSON.stringify(fields));
    assert.equal(fields.status.numberValue ?? fields.status.number_value, 200);
    const denied = await check({ path: '/petstore/v1/pets' });
    const code = denied.dynamic_metadata.fields.code;
    assert.equal(code.stringValue ?? code.string_value, 'missing_credential');
  });

  t('missing key → 401 missing_credential (UNAUTHENTICATED)', async () => {
    assertDenied(await check({ path: '/petstore/v1/pets' }), 401, 16, 'missing_credential');
  });

  t('wrong key → 401 invalid_credential (UNAUTHENTICATED)', async () => {
    assertDenied(await check({ path: '/petstore/v1/pets', headers: { apikey: 'tg_wrong' } }), 401, 16, 'invalid_credential');
  });

  t('application without subscription → 403 not_subscribed (PERMISSION_DENIED)', async () => {
    assertDenied(await check({ path: '/petstore/v1/pets', headers: { apikey: fx.otherKey.key } }), 403, 7, 'not_subscribed');
  });

  t('unknown resource → 404 resource_not_found; unknown API → 404 api_not_found', async () => {
    const r1 = await check({ path: '/petstore/v1/owners', headers: { apikey: fx.key.key } });
    assert.notEqual(r1.status.code, 0);
    assertDenied(r1, 404, r1.status.code, 'resource_not_found');
    const r2 = await check({ path: '/nothing/here', headers: { apikey: fx.key.key } });
    assert.notEqual(r2.status.code, 0);
    assertDenied(r2, 404, r2.status.code, 'api_not_found');
  });

  t('deleted key is denied within 1 s', async (tc) => {
    const doomed = expectStatus(
      await stack.rest('POST', `/api/v1/applications/${fx.app.id}/api-keys`, { name: 'doomed' }), 201).json;
    const ready = await timeUntil(async () => {
      const r = await check({ path: '/petstore/v1/pets', headers: { apikey: doomed.key } });
      return r.status.code === 0;
    }, { timeoutMs: 3000, intervalMs: 20 });
    tc.diagnostic(`new key accepted after ${ready.toFixed(1)} ms`);
    assert.ok(ready <= 1000, `new key accepted only after ${ready} ms`);
    assertAllowed(await check({ path: '/petstore/v1/pets', headers: { apikey: doomed.key } }), 'apikey');
    expectStatus(await stack.rest('DELETE', `/api/v1/applications/${fx.app.id}/api-keys/${doomed.id}`), 204);
    const ms = await timeUntil(async () => {
      const r = await check({ path: '/petstore/v1/pets', headers: { apikey: doomed.key } });
      return r.status.code !== 0;
    }, { timeoutMs: 3000, intervalMs: 50 });
    tc.diagnostic(`deleted key denied after ${ms.toFixed(1)} ms`);
    assert.ok(ms <= 1000, `deleted key still accepted after ${ms} ms`);
    assertDenied(await check({ path: '/petstore/v1/pets', headers: { apikey: doomed.key } }), 401, 16, 'invalid_credential');
    assertAllowed(await check({ path: '/petstore/v1/pets', headers: { apikey: fx.key.key } }), 'apikey');
  });
});
