/** A wrong command line: the CLI prints the message and a hint to --help, and exits with 2. */
export class CliUsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliUsageError';
  }
}

/** The command could not do its job (no queues found, SQS refused, …): message printed, exit 1. */
export class CliError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
  }
}
