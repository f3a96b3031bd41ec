#!/usr/bin/env node
// Records what Authing's official Node SDK (authing-node-sdk, pinned in
// scripts/interop-node/package-lock.json) puts on the wire for each case of a case file.
//
// Run by scripts/interop-node.sh, which installs the pins and passes their node_modules:
//
//   node scripts/interop_node.js MODULES CASES OUT [QUERIES]
//
// CASES is a JSON array of {name, node, args, client?}: the SDK's ManagementClient method
// `node` is called with the arguments `args` (an array, as the method takes them), on a
// client built with the options `client` (lang, tenantId), against a recording HTTP server
// on 127.0.0.1 that answers every request with an empty success. OUT receives
//
//   {sdk, qs, requests: [{name, method, path, query, headers, body, qsParsed}], parsed}
//
// where `query` is the raw query string (without `?`, "" when none), `headers` the
// request's headers as received (lower-case names), `body` the raw body text ("" when
// none), and `qsParsed` the query as Express 4 reads it (`qs.parse(query, {allowPrototypes:
// true})`). QUERIES, when given, is a JSON array of other query strings (the Rust SDK's),
// read the same way into `parsed`, so that both sides are compared through the same parser.
// A case whose call throws fails the run: the SDK must send every case.
"use strict";

const fs = require("fs");
const http = require("http");
const path = require("path");

const [modules, casesFile, outFile, queriesFile] = process.argv.slice(2);
if (!modules || !casesFile || !outFile) {
  console.error("usage: interop_node.js MODULES CASES OUT [QUERIES]");
  process.exit(2);
}
const load = (name) => require(path.join(path.resolve(modules), name));
const { ManagementClient } = load("authing-node-sdk");
const qs = load("qs");
const sdkVersion = load("authing-node-sdk/package.json").version;
const qsVersion = load("qs/package.json").version;

// Fixed test credentials; the Rust side checks the signatures with the same secret.
const ACCESS_KEY_ID = "interop-node-key-id";
const ACCESS_KEY_SECRET = "interop-node-key-secret";

// Express 4.21's `query parser` setting "extended".
const parseQuery = (query) => qs.parse(query, { allowPrototypes: true });

function startRecorder() {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const url = req.url;
      const q = url.indexOf("?");
      received.push({
        method: req.method,
        path: q < 0 ? url : url.slice(0, q),
        query: q < 0 ? "" : url.slice(q + 1),
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.setHeader("content-type", "application/json");
      res.end('{"statusCode":200,"message":"","data":null}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, received }))
  );
}

async function main() {
  const cases = JSON.parse(fs.readFileSync(casesFile, "utf8"));
  const queries = queriesFile ? JSON.parse(fs.readFileSync(queriesFile, "utf8")) : [];
  const { server, received } = await startRecorder();
  const host = `http://127.0.0.1:${server.address().port}`;
  const requests = [];
  const failures = [];
  try {
    for (const c of cases) {
      const client = new ManagementClient({
        accessKeyId: ACCESS_KEY_ID,
        accessKeySecret: ACCESS_KEY_SECRET,
        host,
        timeout: 10000,
        ...(c.client || {}),
      });
      if (typeof client[c.node] !== "function") {
        failures.push(`${c.name}: ManagementClient has no method ${c.node}`);
        continue;
      }
      const before = received.length;
      try {
        await client[c.node](...(c.args || []));
      } catch (e) {
        failures.push(`${c.name}: ${c.node} threw: ${e && e.message}`);
        continue;
      }
      if (received.length !== before + 1) {
        failures.push(`${c.name}: ${c.node} sent ${received.length - before} requests, not 1`);
        continue;
      }
      const r = received[before];
      requests.push({ name: c.name, ...r, qsParsed: parseQuery(r.query) });
    }
  } finally {
    server.close();
  }
  const out = {
    sdk: `authing-node-sdk ${sdkVersion}`,
    qs: `qs ${qsVersion}`,
    requests,
    parsed: queries.map(parseQuery),
  };
  fs.writeFileSync(outFile, JSON.stringify(out, null, 1));
  for (const f of failures) console.error(`[interop-node] ${f}`);
  console.error(
    `[interop-node] ${requests.length} of ${cases.length} cases recorded (${out.sdk}, ${out.qs})`
  );
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => {
  console.error(`[interop-node] error: ${e && e.stack}`);
  process.exit(1);
});
