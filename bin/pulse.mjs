#!/usr/bin/env node
// The `pulse` command: runs cli/pulse.ts through tsx (TypeScript, no build step).
import { register } from 'tsx/esm/api';

register();
await import('../cli/pulse.ts');
