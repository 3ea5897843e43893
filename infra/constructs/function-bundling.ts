/**
 * How every Lambda is bundled, as plain data (no aws-cdk-lib import) so bench/cold-start.ts builds its
 * bundles with exactly these settings and the floor it compares them with alike. node-function.ts turns
 * them into NodejsFunction's bundling options; docs/benchmarks.md gives the measurements behind each.
 */
export const FUNCTION_BUNDLING = {
  target: 'node22',
  minify: true,
  /** A source map beside the bundle, so stack traces name the TypeScript file and line. */
  sourceMap: true,
  /**
   * Mappings only, no copy of every source inside the map: Node reads and parses the whole map at load
   * when source maps are enabled, and the copies are most of its bytes (file and line need only mappings).
   */
  sourcesContent: false,
  /**
   * The AWS SDK v3 clients are bundled (tree-shaken, minified, the pinned version the tests ran) rather
   * than taken from the runtime's copy, whose version moves under us.
   */
  bundleAwsSdk: true,
  /** ES builds first, so esbuild can tree-shake the SDK and Powertools (their CJS builds cannot be). */
  mainFields: ['module', 'main'],
  /**
   * Left out of the bundle: the credential providers the SDK's default chain tries after the environment that
   * need what a Lambda function never has (SSO and shared ini files in a home directory, credential_process,
   * a web identity token file) and the clients they call. Lambda puts the role's credentials in the
   * environment, the chain's first provider, so the chain never import()s these there (were it to, the call
   * would fail naming the module). The container endpoint's provider stays: it is small, and it is how some
   * runtimes hand out credentials. The rest were 126 kB to parse at every cold start (docs/benchmarks.md, the
   * cold answer's levers, which bundle them again in pairs).
   */
  externalModules: [
    '@aws-sdk/credential-provider-sso',
    '@aws-sdk/credential-provider-ini',
    '@aws-sdk/credential-provider-process',
    '@aws-sdk/credential-provider-web-identity',
    '@aws-sdk/nested-clients',
  ],
} as const;

/** Node flags for every function (NODE_OPTIONS). */
export const FUNCTION_NODE_OPTIONS = '--enable-source-maps';

/** Every function's environment besides its own variables. */
export const FUNCTION_ENVIRONMENT: Readonly<Record<string, string>> = {
  NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
};
