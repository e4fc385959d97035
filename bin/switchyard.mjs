#!/usr/bin/env node
// `npx switchyard …`: the admin CLI. TypeScript runs through tsx, as the gateway does.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
