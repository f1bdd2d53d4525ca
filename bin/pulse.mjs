#!/usr/bin/env node
// The `pulse` command: runs cli/main.ts through tsx (TypeScript, no build step). The process
// is this file's: importing cli/ runs nothing, main() only returns the exit code.
import process from 'node:process';
import { register } from 'tsx/esm/api';

// The SDK warns that its releases after January 2027 need Node 22; Lambda runs 22
// already and local mode supports Node 20 until then, so the warning is noise here.
// (The SDK reads this when a client is built, so it only has to be set before main().)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('#cli/main.ts');
// Not awaited at the top level: a run that waits only on Ctrl-C (pulse start --duration 0)
// would otherwise end as an unsettled top-level await (exit 13) if its loop ever emptied.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
