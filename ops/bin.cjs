#!/usr/bin/env node
// `npx signup-sync <command>` (package.json "bin"): runs the TypeScript CLI through tsx.
'use strict';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('./run.ts').main();
