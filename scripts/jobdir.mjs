#!/usr/bin/env node
// The `jobdir` command. jobdir and its services are TypeScript run through tsx, so a
// service author writes a .ts module and an INI file and never runs a build step.
// More libuv threads: fsyncs of concurrent jobs overlap (and the journal batches them).
process.env.UV_THREADPOOL_SIZE ??= '16';
const { register } = await import('tsx/esm/api');

register();
await import('../src/cli/main.ts');
