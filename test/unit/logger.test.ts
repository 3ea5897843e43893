import { createLogger, describeError } from '../../shared/logger';

describe('describeError', () => {
  it('keeps the name and message of ordinary errors, and whether they are retryable', () => {
    const error = Object.assign(new Error('SQS did not accept the messages'), { retryable: true });
    expect(describeError(error)).toEqual({ errorName: 'Error', errorMessage: 'SQS did not accept the messages', retryable: true });
  });

  it('drops the message of a JSON SyntaxError, which quotes the input', () => {
    let thrown: unknown;
    try {
      JSON.parse('{"email": "someone@example.com",');
    } catch (error) {
      thrown = error;
    }
    expect(JSON.stringify(describeError(thrown))).not.toContain('someone@example.com');
    expect(describeError(thrown)).toEqual({ errorName: 'SyntaxError' });
  });
});

describe('createLogger', () => {
  it('writes one JSON line per call with the persistent keys, and readable lines for a terminal', () => {
    const lines: string[] = [];
    const json = createLogger('svc', { write: (line) => lines.push(line) });
    json.appendKeys({ requestId: 'r-1' });
    json.info('signups accepted', { accepted: 2 });
    json.resetKeys();
    json.debug('not shown at info');
    json.warn('after reset');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: 'INFO', service: 'svc', message: 'signups accepted', requestId: 'r-1', accepted: 2 }),
      expect.not.objectContaining({ requestId: 'r-1' }),
    ]);
    const pretty: string[] = [];
    createLogger('svc', { format: 'pretty', write: (line) => pretty.push(line) }).info('batch synced', { records: 10 });
    expect(pretty[0]).toMatch(/INFO +\[svc\] batch synced records=10$/);
  });
});
