// Seeds N callers for bench/counters_authz.sh through the management REST API: a plan "Bench"
// (rate + monthly quota, never reached), an application plan "BenchApp" (rate), the demo API
// offering "Bench", then per caller one application (on BenchApp), its subscription to the demo
// API (on Bench) and one API key — so that every key has its own three counters, the enforcer's
// full set. Prints the keys, one a line.
//
//   node bench/counters_authz_keys.mjs http://127.0.0.1:PORT ADMIN_PASSWORD N > keys.txt
const [base, password, countText] = process.argv.slice(2);
const count = Number(countText);
const basic = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
let auth = basic;

async function call(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

// One Argon2 check for the token, then cheap Bearer calls.
auth = `Bearer ${(await call('POST', '/api/v1/me/tokens', { name: 'bench' })).token}`;

const huge = 1_000_000_000;
await call('POST', '/api/v1/plans', {
  name: 'Bench', description: 'never refuses',
  rate: { requests: huge, per: 'second', burst: huge },
  quota: { requests: 1_000_000_000_000, period: 'month', anchor: 'calendar', timeZone: 'UTC' },
});
await call('POST', '/api/v1/plans', {
  name: 'BenchApp', description: 'never refuses', rate: { requests: huge, per: 'second', burst: huge },
});
const apis = await call('GET', '/api/v1/apis');
const api = (apis.items ?? apis).find((a) => a.context === '/petstore/v1' || a.name === 'Petstore');
if (!api) throw new Error('demo API not found');
if (!api.plans.includes('Bench')) {
  const { id, lifecycle, createdAt, updatedAt, ...draft } = api;
  await call('PUT', `/api/v1/apis/${api.id}`, { ...draft, plans: [...api.plans, 'Bench'] });
}

const keys = new Array(count);
let next = 0;
async function worker() {
  for (let i = next++; i < count; i = next++) {
    const app = await call('POST', '/api/v1/applications', { name: `bench-${i}`, plan: 'BenchApp' });
    await call('POST', `/api/v1/applications/${app.id}/subscriptions`, { apiId: api.id, plan: 'Bench' });
    keys[i] = (await call('POST', `/api/v1/applications/${app.id}/api-keys`, { name: `bench-${i}` })).key;
  }
}
await Promise.all(Array.from({ length: 8 }, worker));
process.stdout.write(keys.join('\n') + '\n');
