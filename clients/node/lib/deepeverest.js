'use strict';
// DeepEverest from Node.js: clients of both services, loaded at run time from the repository's
// protos/ with @grpc/proto-loader (no generated code), and a helper that turns a query's server
// stream into an async iterator that cancels the call when the loop is left early.

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTOS = process.env.DEEPEVEREST_PROTOS || path.resolve(__dirname, '..', '..', '..', 'protos');

// Message objects use proto3 JSON conventions: lowerCamelCase fields, int64 as decimal strings
// (exact beyond 2^53), enums by name, defaults filled in, the set oneof member named.
const LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTOS],
};

/** Loads deepeverest.v1 from protos/. */
function loadApi() {
  const files = ['deepeverest/v1/index_service.proto', 'deepeverest/v1/query_service.proto'];
  const definition = protoLoader.loadSync(files, LOADER_OPTIONS);
  return grpc.loadPackageDefinition(definition).deepeverest.v1;
}

/**
 * Clients of both services. Addresses are host:port (an http:// prefix is accepted).
 * @param {{query?: string, index?: string, credentials?: grpc.ChannelCredentials}} options
 */
function connect(options = {}) {
  const api = loadApi();
  const credentials = options.credentials || grpc.credentials.createInsecure();
  const channelOptions = { 'grpc.max_receive_message_length': 256 << 20 };
  const address = (a) => a.replace(/^https?:\/\//, '').replace(/\/$/, '');
  const query = new api.QueryService(address(options.query || process.env.DEEPEVEREST_QUERY || '127.0.0.1:50052'), credentials, channelOptions);
  const index = new api.IndexService(address(options.index || process.env.DEEPEVEREST_INDEX || '127.0.0.1:50051'), credentials, channelOptions);
  return {
    query,
    index,
    close() {
      query.close();
      index.close();
    },
  };
}

/**
 * The updates of a server-streaming call. Leaving a `for await` loop early (break, return, throw)
 * cancels the call, which stops the query on the server. A failed call throws the grpc-js error,
 * whose `code` is the gRPC status (grpc.status.INVALID_ARGUMENT, ...) and `details` its message.
 */
async function* updates(call) {
  let finished = false;
  try {
    for await (const update of call) {
      yield update;
    }
    finished = true;
  } finally {
    if (!finished) {
      call.cancel();
    }
  }
}

/** Promisified unary call: `await unary(client.index, 'listModels', {})`. */
function unary(client, method, request, options = {}) {
  return new Promise((resolve, reject) => {
    client[method](request, options, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

/**
 * A message in proto3 JSON form, as the CLI's --json and HTTP/JSON transcoding write it: NaN and
 * infinities as strings (JSON has no such numbers).
 */
function toJson(message) {
  return JSON.stringify(message, (key, value) => {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
    }
    return value;
  });
}

module.exports = { grpc, loadApi, connect, updates, unary, toJson, PROTOS };
