import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { createExistingShare } from '../../../shared/sync/existing-share';
import { createQuotaPacer } from '../../../shared/sync/quota-pacer';
import { anSqsRecord, aSignupMessage } from '../../helpers/events';
import { emailsOf, syncHarness } from '../../helpers/sync-harness';

describe('quota pacer', () => {
  const at = (ms: number) => () => ms;

  it('goes at once while plenty of quota is left', () => {
    const pacer = createQuotaPacer({ now: at(0) });
    pacer.observe({ left: 100, quota: 150, resetMs: 20_000 });
    expect(pacer.delayMs()).toBe(0);
  });

  it('spreads the last tenth of the quota over the rest of the window', () => {
    const pacer = createQuotaPacer({ now: at(0) });
    pacer.observe({ left: 9, quota: 150, resetMs: 10_000 });
    expect(pacer.delayMs()).toBe(1_000);
  });

  it('waits for the reset once nothing is left, and not after it', () => {
    let now = 0;
    const pacer = createQuotaPacer({ now: () => now });
    pacer.observe({ left: 0, quota: 150, resetMs: 5_000 });
    expect(pacer.delayMs()).toBe(5_000);
    now = 5_000;
    expect(pacer.delayMs()).toBe(0);
  });

  it('keeps maxConcurrency - 1 units back for the other syncs that share the quota', () => {
    const pacer = createQuotaPacer({ tailReserve: 1, now: at(0) });
    pacer.observe({ left: 1, quota: 150, resetMs: 4_000 });
    expect(pacer.delayMs()).toBe(4_000);
    pacer.observe({ left: 2, quota: 150, resetMs: 4_000 });
    expect(pacer.delayMs()).toBe(2_000);
  });
});

describe('existing share', () => {
  it('switches to lookup-first once more than about 7 % of signups already exist, and back', () => {
    const share = createExistingShare();
    for (let i = 0; i < 20; i += 1) share.observe(0, 10);
    expect(share.lookupFirst()).toBe(false);
    for (let i = 0; i < 20; i += 1) share.observe(2, 10);
    expect(share.lookupFirst()).toBe(true);
    for (let i = 0; i < 40; i += 1) share.observe(0, 10);
    expect(share.lookupFirst()).toBe(false);
  });
});

describe('lookup-first against the sandbox', () => {
  let sandbox: BigCommerceSandbox;
  beforeAll(async () => {
    sandbox = await startBigCommerceSandbox({ rateLimit: false });
  });
  afterAll(() => sandbox.close());

  it('costs two requests for a batch with existing customers instead of three, and creates the rest once', async () => {
    const existingShare = createExistingShare();
    for (let i = 0; i < 30; i += 1) existingShare.observe(2, 10);
    const harness = syncHarness(sandbox, { existingShare });
    const records = Array.from({ length: 10 }, (_, i) => anSqsRecord(aSignupMessage({ email: `lf-${i}@example.com` })));
    sandbox.seedCustomers([
      { email: 'lf-3@example.com', first_name: 'Old', last_name: 'Customer' },
      { email: 'lf-7@example.com', first_name: 'Old', last_name: 'Customer' },
    ]);
    try {
      expect(await harness.invoke(records)).toEqual([]);
      expect(harness.exchanges.map((exchange) => `${exchange.method} ${exchange.status}`)).toEqual(['GET 200', 'POST 200']);
      expect(sandbox.stats().log.find((entry) => entry.method === 'POST')?.items).toBe(8);
      expect(emailsOf(sandbox).sort()).toEqual(records.map((_, i) => `lf-${i}@example.com`).sort());
    } finally {
      harness.restore();
    }
  });
});
