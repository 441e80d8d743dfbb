#!/usr/bin/env node
// `npx leadflow …`: the command line in runtime/cli.ts, run through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../runtime/cli.ts');
