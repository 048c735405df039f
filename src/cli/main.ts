#!/usr/bin/env node
import { runCli } from "./program.js";

// `latch … | head -1`: once the reader is gone nothing left to print can be read. Exit quietly, as
// a shell tool does, instead of crashing with an unhandled EPIPE and a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
    throw err;
  });
}

// The `latch` bin. Exits with the code of the outcome (see EXIT in exit-codes.ts / docs/cli.md).
const code = await runCli(process.argv);
process.exitCode = code;
// Something the user's workflow file left running must not keep a finished command alive.
setTimeout(() => process.exit(code), 200).unref();
