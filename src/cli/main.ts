#!/usr/bin/env node
import { runCli } from "./program.js";

// The `latch` bin. Exits with the code of the outcome (see EXIT in exit-codes.ts / docs/cli.md).
const code = await runCli(process.argv);
process.exitCode = code;
// Something the user's workflow file left running must not keep a finished command alive.
setTimeout(() => process.exit(code), 200).unref();
