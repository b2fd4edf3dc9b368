#!/usr/bin/env node
"use strict";
// The k2 binary runs the compiled CLI from dist/ (built by `npm run build`, which `npm ci` runs).
let cli;
try {
  cli = require("../dist/lib/cli/main.js");
} catch (error) {
  if (error && error.code === "MODULE_NOT_FOUND" && String(error.message).includes("dist/lib/cli/main")) {
    process.stderr.write("k2: kraken-lib is not built yet; run `npm run build` (npm ci and npm install do it)\n");
    process.exit(2);
  }
  throw error;
}
cli.run(process.argv);
