import { type LedgerScenario, runLedgerWrites } from '../../../bench/ledger-writes';

jest.setTimeout(30_000);

/**
 * The delivery ledger's DynamoDB footprint per kind of delivery (the bench's ledger table and the cost
 * model's ledger line): a change that adds a write, or writes before a request is authenticated, shows here.
 */
describe('delivery ledger request units', () => {
  let scenarios: Map<LedgerScenario['key'], LedgerScenario>;
  beforeAll(async () => {
    scenarios = new Map((await runLedgerWrites()).map((scenario) => [scenario.key, scenario]));
  });

  it('costs a new delivery two writes: the conditional put before SendMessage and the completion after it', () => {
    expect(scenarios.get('new')).toMatchObject({ answer: 202, calls: { PutItemCommand: 1, UpdateItemCommand: 1 }, writeUnits: 2 });
    expect(scenarios.get('new10')).toMatchObject({ answer: 202, writeUnits: 2 });
    // 100 ids in the receipt: the completion is billed by its size.
    expect(scenarios.get('new100')!.writeUnits).toBeGreaterThan(2);
  });

  it('answers a repeat and a reused id with one failed conditional put, and writes nothing for a refused request', () => {
    expect(scenarios.get('repeat')).toMatchObject({
      answer: 202,
      writeUnits: 1,
      calls: expect.objectContaining({ PutItemCommand: 1, ConditionalCheckFailed: 1 }),
    });
    expect(scenarios.get('conflict')).toMatchObject({ answer: 409, writeUnits: 1 });
    for (const key of ['unauthorized', 'invalid'] as const) expect(scenarios.get(key)).toMatchObject({ calls: {}, writeUnits: 0 });
  });

  it('removes the record when SQS refuses, so the retry is queued; counts a public form post against its client', () => {
    expect(scenarios.get('queue-down')).toMatchObject({ answer: 503, calls: { PutItemCommand: 1, DeleteItemCommand: 1 }, writeUnits: 2 });
    expect(scenarios.get('form')).toMatchObject({ answer: 303, writeUnits: 3 });
  });
});
