#!/usr/bin/env node
// The `pulse` command: runs core/cli/pulse.ts through tsx (TypeScript, no build step).
import { register } from 'tsx/esm/api';

register();
await import('../core/cli/pulse.ts');
