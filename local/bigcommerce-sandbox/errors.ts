// Errors of the sandbox itself (bad options, impossible seed data), not HTTP answers to API clients.
// `name` is set literally so it survives minification.

/** Options or control-API input that the sandbox cannot run with. */
export class SandboxOptionsError extends Error {
  readonly issues: string[];

  constructor(message: string, issues: string[] = [], options?: ErrorOptions) {
    super(issues.length > 0 ? `${message}: ${issues.join('; ')}` : message, options);
    this.name = 'SandboxOptionsError';
    this.issues = issues;
  }
}

/** Seed data that BigCommerce itself would refuse to hold (e.g. a clashing email). */
export class SandboxSeedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SandboxSeedError';
  }
}
