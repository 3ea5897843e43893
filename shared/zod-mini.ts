import { config } from 'zod/mini';
import { en } from 'zod/v4/locales';

/**
 * zod/mini for every schema the Lambda bundles load: it loads in about half of full zod's time at cold
 * start (docs/benchmarks.md, lever (d)). Full zod configures its English messages when it loads; zod/mini
 * configures none, so this module does it once. Every schema module imports `z` from here rather than from
 * 'zod/mini', so no schema parses before the messages the tests and the API pin are in place.
 */
config(en());

export * from 'zod/mini';
