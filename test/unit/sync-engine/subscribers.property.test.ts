import fc from 'fast-check';
import { type BigCommerceSandbox, type FaultKind, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import type { SignupMessage } from '../../../shared/signup/signup-schema';
import { anSqsRecord, aSignupMessage } from '../../helpers/events';
import { duplicatesIn, emailsOf, syncHarness } from '../../helpers/sync-harness';

/**
 * Property: whatever the interleaving of customer signups, newsletter subscriptions (with and without
 * names) and opt-outs, and whatever faults BigCommerce shows, once every batch is settled (in the order
 * the batches arrived) each email is in the state its latest events imply: a customer iff a named
 * signup came, subscribed iff its latest newsletter event is a subscription. Nothing is rejected,
 * nothing is created twice, and no DELETE is ever sent.
 */
type Kind = 'customer' | 'customer+consent' | 'nameless+consent' | 'opt-out';

let sandbox: BigCommerceSandbox;
beforeAll(async () => {
  sandbox = await startBigCommerceSandbox({ seed: 11 });
});
afterAll(() => sandbox.close());

const FAULTS: FaultKind[] = ['none', 'none', 500, 502, 503, 504, 'reset', 'created-then-500', 429, 'revoked-401', 'hang'];

const scenario = fc.record({
  events: fc.array(
    fc.record({ kind: fc.constantFrom<Kind>('customer', 'customer+consent', 'nameless+consent', 'opt-out'), person: fc.integer({ min: 0, max: 3 }) }),
    {
      minLength: 1,
      maxLength: 16,
    },
  ),
  batchSizes: fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 16, maxLength: 16 }),
  script: fc.array(fc.constantFrom(...FAULTS), { maxLength: 8 }),
  seededSubscribers: fc.array(fc.record({ person: fc.integer({ min: 0, max: 3 }), consenting: fc.boolean() }), { maxLength: 3 }),
});

let run = 0;
let runStartedAt = Date.now();

function eventMessage(kind: Kind, email: string, at: number): SignupMessage {
  const base = aSignupMessage({ email });
  // Events happen in arrival order, after the seeded subscribers last changed (an older subscription
  // would rightly be `superseded`: test/unit/sync-engine/subscribers.test.ts), and each is received when
  // it happens (an event time is never later than its receipt: shared/signup/event-time.ts).
  const occurred_at = new Date(runStartedAt + at * 1000).toISOString();
  const signup =
    kind === 'opt-out'
      ? { email, opt_out: true as const, occurred_at }
      : kind === 'nameless+consent'
        ? { email, consent: { marketing: true }, occurred_at }
        : { email, first_name: 'Ada', last_name: 'Lovelace', ...(kind === 'customer+consent' ? { consent: { marketing: true } } : {}), occurred_at };
  return { ...base, schema_version: 2, received_at: occurred_at, signup: signup as SignupMessage['signup'] };
}

it('ends in the state the latest events imply, with no duplicate, no rejection and no DELETE', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async ({ events, batchSizes, script, seededSubscribers }) => {
      // Arrange
      run += 1;
      runStartedAt = Date.now() + 60_000;
      sandbox.reset();
      sandbox.setOptions({ rateLimit: { quota: 150, windowMs: 30_000 }, timeScale: 0.001, batch422: 'partial' });
      sandbox.setFaults({ script, methods: ['GET', 'POST', 'PUT'] });
      const emailOf = (person: number) => `s${run}-${person}@example.com`;
      const seeded = new Map(seededSubscribers.map(({ person, consenting }) => [emailOf(person), consenting]));
      sandbox.seedSubscribers(
        [...seeded].map(([email, consenting]) => ({ email, consents: consenting ? ['marketing_newsletter', 'abandoned_cart'] : ['abandoned_cart'] })),
      );
      const harness = syncHarness(sandbox, { requestTimeoutMs: 150 });
      const messages = events.map(({ kind, person }, index) => ({
        kind,
        email: emailOf(person),
        record: anSqsRecord(eventMessage(kind, emailOf(person), index)),
      }));

      try {
        // Act: batches in arrival order, each settled (redelivered until done) before the next.
        let start = 0;
        for (const size of batchSizes) {
          if (start >= messages.length) break;
          const { unsettled } = await harness.settle(
            messages.slice(start, start + size).map((m) => m.record),
            25,
          );
          expect(unsettled).toEqual([]);
          start += size;
        }

        // Assert
        expect(harness.deadLetters).toEqual([]);
        const customers = emailsOf(sandbox);
        expect(duplicatesIn(customers)).toEqual([]);
        const subscribers = sandbox.subscribers();
        expect(duplicatesIn(subscribers.map((subscriber) => subscriber.email))).toEqual([]);
        expect(sandbox.unfilteredSubscriberDeletes()).toBe(0);
        expect(sandbox.stats().log.filter((entry) => entry.method === 'DELETE')).toEqual([]);
        for (const email of new Set(messages.map((m) => m.email))) {
          const own = messages.filter((m) => m.email === email);
          const latestNewsletter = own.filter((m) => m.kind !== 'customer').at(-1)?.kind;
          const consents = subscribers.find((subscriber) => subscriber.email === email)?.consents;
          const expectSubscribed = latestNewsletter === undefined ? seeded.get(email) === true : latestNewsletter !== 'opt-out';
          expect({ email, customer: customers.includes(email), subscribed: consents?.includes('marketing_newsletter') ?? false }).toEqual({
            email,
            customer: own.some((m) => m.kind === 'customer' || m.kind === 'customer+consent'),
            subscribed: expectSubscribed,
          });
          // Other consents are never taken away.
          if (seeded.has(email)) expect(consents).toContain('abandoned_cart');
        }
      } finally {
        harness.restore();
      }
    }),
    { numRuns: 60, seed: 20261201, endOnFailure: true },
  );
}, 180_000);
