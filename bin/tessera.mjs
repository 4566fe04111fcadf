#!/usr/bin/env node
// Entry point of the `tessera` CLI: registers tsx so the TypeScript sources run directly, then
// hands over to cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
