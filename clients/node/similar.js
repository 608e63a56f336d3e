#!/usr/bin/env node
'use strict';
// Streams one similarity query and prints each update as it arrives:
//
//   node clients/node/similar.js --query 127.0.0.1:50052 --layer /block3/block3.2/Relu_output_0 \
//       --target 0 --top 3 --k 10
//
// With --json, each update is printed as one line of proto3 JSON (like `deepeverest --json`).

const { parseArgs } = require('node:util');
const { connect, updates, toJson, grpc } = require('./lib/deepeverest');

async function main() {
  const { values: args } = parseArgs({
    options: {
      query: { type: 'string' },
      layer: { type: 'string' },
      model: { type: 'string', default: '' },
      dataset: { type: 'string', default: '' },
      target: { type: 'string', default: '0' },
      top: { type: 'string', default: '3' },
      k: { type: 'string', default: '10' },
      distance: { type: 'string', default: 'l2' },
      'update-interval-ms': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!args.layer) {
    throw new Error('--layer is required');
  }
  const { query, close } = connect({ query: args.query });
  const request = {
    layer: { model: args.model, dataset: args.dataset, layer: args.layer },
    target: { inputId: args.target },
    group: { topOfTarget: Number(args.top) },
    k: Number(args.k),
    distance: `DISTANCE_${args.distance.toUpperCase()}`,
    options: {},
  };
  if (args['update-interval-ms'] !== undefined) {
    request.options.minUpdateIntervalMs = Number(args['update-interval-ms']);
  }
  try {
    let n = 0;
    for await (const update of updates(query.topKSimilar(request))) {
      n += 1;
      if (args.json) {
        console.log(toJson(update));
        continue;
      }
      const finals = update.hits.filter((h) => h.final).length;
      const threshold = Number.isNaN(update.threshold) ? '-' : update.threshold.toPrecision(4);
      console.log(`update ${n}${update.done ? ' (done)' : ''}: ${finals}/${update.hits.length} final, ` +
        `distance bound left ${threshold}, inferred ${update.stats.inputsInferred} of ${update.stats.inputsTotal}` +
        (update.message ? ` - ${update.message}` : ''));
      if (update.done) {
        for (const [rank, hit] of update.hits.entries()) {
          console.log(`  #${rank + 1}  input ${hit.inputId}  label ${hit.label}  distance ${hit.score.toPrecision(6)}`);
        }
      }
    }
  } finally {
    close();
  }
}

main().catch((error) => {
  const status = error.code !== undefined ? `${grpc.status[error.code]}: ${error.details}` : error.message;
  console.error(`error: ${status}`);
  process.exit(1);
});
