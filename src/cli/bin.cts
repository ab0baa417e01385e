#!/usr/bin/env node
// The `jobdir` command (package.json "bin"; built to dist/src/cli/bin.cjs). CommonJS on
// purpose: Node reads a CommonJS entry synchronously, so this line runs before libuv starts
// its thread pool; an ES module entry is read through the pool on Node 20, which then keeps
// its default 4 threads whatever is set here (measured: 11 threads in the process, not 23).
// More threads let the fsyncs of concurrent jobs overlap (and the journal batch them).
// eslint-disable-next-line no-restricted-properties -- before any config module can load
process.env.UV_THREADPOOL_SIZE ??= '16';
void import('./main.js');
