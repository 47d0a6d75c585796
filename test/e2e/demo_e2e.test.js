// What `make run` shows: `tollgate serve --demo` provisions the Petstore API and prints a fresh
// key at every start, which works through the nginx gateway. Also the CLI's basic commands.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { describe, test, before, after } = require('node:test');
const { Stack, TOLLGATE_BIN, expectStatus } = require('./harness');

const DEMO_KEY = /demo api key: (tg_\S+)/;

describe('tollgate serve --demo', () => {
  const stack = new Stack();
  const t = (name, fn) => test(name, stack.guard(fn));
  let key;

  before(async () => {
    await stack.start({ demo: true });
    key = (await stack.procs.tollgate.waitForLine(DEMO_KEY, 10000))[1];
  });
  after(() => stack.stop());

  t('the printed demo key calls the Petstore API through nginx', async () => {
    const res = expectStatus(await stack.gateway('GET', '/petstore/v1/pets', { apikey: key }), 200);
    assert.equal(res.json.service, 'petstore-demo');
    assert.ok(res.json.headers['x-tollgate-application'], 'application id reaches the upstream');
    assert.equal(res.json.headers.apikey, undefined);
    expectStatus(await stack.gateway('GET', '/petstore/v1/pets/1', { apikey: key }), 200);
  });

  t('without a key → 401', async () => {
    const res = await stack.gateway('GET', '/petstore/v1/pets');
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json?.code, 'missing_credential', res.text);
  });

  t('the demo data is visible in the management API and published', async () => {
    const apis = expectStatus(await stack.rest('GET', '/api/v1/apis'), 200).json;
    const petstore = apis.items.find((a) => a.context === '/petstore/v1');
    assert.ok(petstore, `demo API listed: ${JSON.stringify(apis)}`);
    assert.equal(petstore.lifecycle, 'PUBLISHED');
    const apps = expectStatus(await stack.rest('GET', '/api/v1/applications'), 200).json;
    assert.ok(apps.items.some((a) => a.name === 'demo-app'), `demo-app listed: ${JSON.stringify(apps)}`);
  });

  t('a restart issues a fresh working key and does not duplicate the demo API', async () => {
    await stack.stopTollgate();
    await stack.startTollgate();
    const fresh = (await stack.procs.tollgate.waitForLine(DEMO_KEY, 10000))[1];
    assert.notEqual(fresh, key, 'a fresh key at every start');
    expectStatus(await stack.gateway('GET', '/petstore/v1/pets', { apikey: fresh }), 200, 'fresh demo key');
    const apis = expectStatus(await stack.rest('GET', '/api/v1/apis'), 200).json;
    assert.equal(apis.items.filter((a) => a.context === '/petstore/v1').length, 1, JSON.stringify(apis));
  });
});

describe('tollgate CLI', () => {
  test('version and help', () => {
    const version = execFileSync(TOLLGATE_BIN, ['version'], { encoding: 'utf8' });
    assert.match(version, /\d+\.\d+\.\d+/);
    const help = execFileSync(TOLLGATE_BIN, ['--help'], { encoding: 'utf8' });
    assert.match(help, /serve/);
    const serveHelp = execFileSync(TOLLGATE_BIN, ['serve', '--help'], { encoding: 'utf8' });
    for (const flag of ['--data', '--listen', '--http-port', '--grpc-port', '--authz-port', '--demo']) {
      assert.ok(serveHelp.includes(flag), `serve --help mentions ${flag}`);
    }
  });
});
