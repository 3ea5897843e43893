/** A bad environment variable found at cold start: never retryable, the deployment must be fixed. */
export class ConfigError extends Error {
  readonly retryable = false;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}
