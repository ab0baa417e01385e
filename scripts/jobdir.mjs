#!/usr/bin/env node
// The `jobdir` command. jobdir and its services are TypeScript run through tsx, so a
// service author writes a .ts module and an INI file and never runs a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
