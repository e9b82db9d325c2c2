#!/usr/bin/env node
// The `flatline` command. The project is TypeScript run through tsx, so the bin registers tsx's
// loader and hands over to the CLI; this also lets `--subject ./mine.ts` load a user's TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('../harness/cli/main.ts');
