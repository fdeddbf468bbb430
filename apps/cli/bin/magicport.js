#!/usr/bin/env node
// Committed entry point: npm links it at install time, before `prepare` has built dist/.
require('../dist/main.js');
