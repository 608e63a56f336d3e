'use strict';
// The Node example client against real services: the same checks as the Python client's tests.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const { connect, updates, unary, toJson, grpc } = require('../lib/deepeverest');
const { startServices, runCli, metric } = require('./services');

let services;
let client;

before(async () => {
  services = await startServices();
  client = connect({ query: services.query, index: services.index });
});

after(async () => {
  client?.close();
  await services?.stop();
});

function similar(target, group, k, options = {}) {
  return {
    layer: { layer: services.layer },
    target: { inputId: String(target) },
    group,
    k,
    options,
  };
}

async function readAll(call) {
  const all = [];
  for await (const update of updates(call)) {
    all.push(update);
  }
  return all;
}

// (id, score, final, label) of an update, proto3 JSON style (ids as strings, NaN as "NaN").
function rows(update) {
  return JSON.parse(toJson(update)).hits.map((h) => [String(h.inputId), h.score, h.final, h.label]);
}

test('similar: the answer equals the CLI --json answer', async () => {
  const ours = await readAll(client.query.topKSimilar(similar(7, { topOfTarget: 3 }, 20)));
  const cli = await runCli(services, 'query', 'similar', '--layer', services.layer, '--target', '7', '--group', 'top:3', '--k', '20');
  assert.equal(ours.at(-1).done, true);
  assert.deepEqual(rows(ours.at(-1)), rows(cli.at(-1)));
  assert.equal(ours.at(-1).hits.length, 20);
});

test('highest with filters: the answer equals the CLI --json answer', async () => {
  const request = {
    layer: { layer: services.layer },
    group: { neurons: { neurons: [{ flat: '17' }, { flat: '99' }, { flat: '1024' }] } },
    k: 15,
    aggregate: 'AGGREGATE_L2_NORM',
    filter: { labels: [1, 7], idRange: { start: '50', end: '950' } },
  };
  const ours = await readAll(client.query.topKHighest(request));
  const cli = await runCli(services, 'query', 'highest', '--layer', services.layer, '--group', 'neurons:17,99,1024',
    '--k', '15', '--aggregate', 'l2', '--labels', '1,7', '--id-range', '50:950');
  assert.deepEqual(rows(ours.at(-1)), rows(cli.at(-1)));
  assert.ok(ours.at(-1).hits.every((h) => [1, 7].includes(h.label)));
});

test('README: highest over an open rectangle equals the CLI --group rect:5,*,*', async () => {
  // The README's request: channel 5 at every position without knowing the layer's shape.
  const request = {
    layer: { layer: services.layer },
    group: { rectangle: { ranges: [{ start: '5', end: '6' }, { openEnd: true }, { openEnd: true }] } },
    k: 10,
    aggregate: 'AGGREGATE_SUM',
  };
  const ours = await readAll(client.query.topKHighest(request));
  const cli = await runCli(services, 'query', 'highest', '--layer', services.layer, '--group', 'rect:5,*,*', '--k', '10');
  assert.equal(ours.at(-1).done, true);
  assert.deepEqual(rows(ours.at(-1)), rows(cli.at(-1)));
});

test('the stream refines: several updates, monotone threshold, exact last', async () => {
  const all = await readAll(client.query.topKSimilar(similar(31, { topOfTarget: 10 }, 30,
    { batchSize: 4, minUpdateIntervalMs: 0, noCache: true })));
  assert.ok(all.length >= 3, `expected several updates, got ${all.length}`);
  assert.equal(all[0].group.length, 10);
  assert.equal(all[0].stats.inputsInferred, '0');
  const thresholds = all.map((u) => u.threshold).filter((t) => !Number.isNaN(t));
  assert.deepEqual(thresholds, [...thresholds].sort((a, b) => a - b));
  const finals = all.map((u) => u.hits.filter((h) => h.final).length);
  assert.deepEqual(finals, [...finals].sort((a, b) => a - b));
  assert.deepEqual(all.map((u) => u.done), [...Array(all.length - 1).fill(false), true]);
  assert.ok(all.at(-1).hits.every((h) => h.final));
});

test('leaving the loop early cancels the query on the server', async () => {
  assert.ok(services.query_http, 'the harness found no HTTP endpoint (with /metrics) on the QueryService');
  const running = () => metric(services.query_http, 'deepeverest_queries_running');
  // ReprocessAll over every input of an unindexed layer, an update per batch: long enough to stop midway.
  const call = client.query.topKSimilar({
    layer: { layer: services.unindexed_layer },
    target: { inputId: '4' },
    group: { topOfTarget: 64 },
    k: 50,
    options: { strategy: 'STRATEGY_REPROCESS_ALL', batchSize: 1, minUpdateIntervalMs: 0, noCache: true },
  });
  for await (const update of updates(call)) {
    assert.equal(update.done, false);
    assert.equal(await running(), 1, 'the query runs on the server while we read');
    break;
  }
  const deadline = Date.now() + 20000;
  while ((await running()) !== 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await running(), 0, 'the server stopped the query');
});

test('a bad request fails with the right status and an API message', async () => {
  await assert.rejects(readAll(client.query.topKSimilar(similar(1, { topOfTarget: 3 }, 0))), (error) => {
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
    assert.match(error.details, /k must be in 1\.\.10000/);
    return true;
  });
  await assert.rejects(readAll(client.query.topKSimilar({ ...similar(1, { topOfTarget: 3 }, 5), layer: { layer: 'nope' } })),
    (error) => error.code === grpc.status.NOT_FOUND);
  await assert.rejects(unary(client.index, 'describeIndex', { layer: { layer: services.unindexed_layer } }),
    (error) => error.code === grpc.status.NOT_FOUND && /IndexService\.BuildIndex/.test(error.details));
});

test('catalog calls: the model, dataset and index the harness prepared', async () => {
  const models = await unary(client.index, 'listModels', {});
  assert.deepEqual(models.models.map((m) => m.name), [services.model]);
  const indexes = await unary(client.index, 'listIndexes', {});
  assert.deepEqual(indexes.indexes.map((i) => i.layer.layer), [services.layer]);
});

test('the example prints each update, and reflection lists the services', async () => {
  const run = (file, args) => new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, '..', file), ...args], (error, stdout, stderr) =>
      (error ? reject(new Error(stderr)) : resolve(stdout)));
  });
  const printed = await run('similar.js', ['--query', services.query, '--layer', services.layer, '--target', '0', '--k', '5']);
  assert.match(printed, /^update 1: /m);
  assert.match(printed, /\(done\): 5\/5 final/);
  const listed = await run('list-services.js', [services.query]);
  assert.match(listed, /^deepeverest\.v1\.QueryService$/m);
  assert.match(listed, /^ {2}TopKSimilar$/m);
  assert.match(listed, /^grpc\.health\.v1\.Health$/m);
});

test('hits and inputs of a text dataset carry their context, offsets as JavaScript string indices', () => {
  // Loaded from protos/ at run time: a field the service adds reaches Node without code. The
  // offsets count UTF-16 code units, as JavaScript strings do (U+1F40B counts two).
  const { loadApi } = require('../lib/deepeverest');
  const method = loadApi().QueryService.service.TopKHighest;
  const text = '\u{1F40B} Call me Ishmael.';
  const context = { documentName: 'chapter_1.txt', window: 0, position: 7, token: 'me', text, tokenStart: 8, tokenEnd: 10, cutAfter: true };
  const update = method.responseDeserialize(method.responseSerialize({ hits: [{ inputId: '7', score: 2.5, final: true, text: context }] }));
  const hit = update.hits[0];
  assert.equal(hit.text.text.slice(hit.text.tokenStart, hit.text.tokenEnd), 'me');
  assert.equal(hit.text.documentName, 'chapter_1.txt');
  assert.equal(hit.text.cutAfter, true);
  const input = loadApi().QueryService.service.GetInput;
  assert.equal(input.responseDeserialize(input.responseSerialize({ text: context })).text.token, 'me');
});
