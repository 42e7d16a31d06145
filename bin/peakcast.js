#!/usr/bin/env node
// The terminal entry: the bundled CLI (dist/cli.js) so a clone needs no build step.
import '../dist/cli.js'
