#!/usr/bin/env node
// Demo upstream ("petstore-demo"): answers every request with 200 and a JSON echo of what it
// received, so that tests can see which headers reached the service behind the gateway.
//
//   node test/e2e/upstream.js [PORT]      (or env UPSTREAM_PORT; default 9090; 0 = any free port)
//
// Listens on 127.0.0.1 only and prints `upstream listening on 127.0.0.1:PORT` once ready.
'use strict';
const http = require('node:http');

function createUpstream() {
  return http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const payload = JSON.stringify({
        service: 'petstore-demo',
        method: req.method,
        path: req.url,
        headers: req.headers,
        body: body.length ? body : undefined,
      });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
      });
      res.end(payload);
    });
  });
}

module.exports = { createUpstream };

if (require.main === module) {
  const port = Number(process.argv[2] ?? process.env.UPSTREAM_PORT ?? 9090);
  const host = process.env.UPSTREAM_HOST || '127.0.0.1';
  const server = createUpstream();
  server.keepAliveTimeout = 65_000;
  server.listen(port, host, () => {
    const addr = server.address();
    console.log(`upstream listening on ${addr.address}:${addr.port}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
