#!/usr/bin/env node
'use strict';
// Lists the services and methods a DeepEverest service offers, through gRPC server reflection
// (npm grpc-js-reflection-client; the service needs no .proto files on the client side):
//
//   node clients/node/list-services.js 127.0.0.1:50052

const grpc = require('@grpc/grpc-js');
const { GrpcReflection } = require('grpc-js-reflection-client');

async function main() {
  const address = (process.argv[2] || '127.0.0.1:50052').replace(/^https?:\/\//, '');
  const reflection = new GrpcReflection(address, grpc.credentials.createInsecure());
  for (const service of await reflection.listServices()) {
    console.log(service);
    if (service === 'grpc.reflection.v1alpha.ServerReflection' || service === 'grpc.reflection.v1.ServerReflection') {
      continue;
    }
    for (const method of await reflection.listMethods(service)) {
      console.log(`  ${method.name}`);
    }
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(`error: ${error.details || error.message}`);
  process.exit(1);
});
