import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { createPrng } from '../../local/bigcommerce-sandbox/prng';
import { signupMessageAttributes } from '../../shared/aws/sqs-signup-queue';
import { type SignupMessage, signupMessageSchema } from '../../shared/signup/signup-schema';

/** The sandbox's seeded PRNG (mulberry32), so every run enqueues the same signups. */
export const seededRandom = createPrng;

const FIRST = ['Ada', 'Grace', 'Alan', 'Katherine', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Johnson', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman'];
const CITIES = ['Springfield', 'Portland', 'Austin', 'Madison', 'Boulder'];

export type BenchMessage = Readonly<{
  messageId: string;
  email: string;
  body: string;
  attributes: Readonly<Record<string, MessageAttributeValue>>;
}>;

/**
 * `count` canonical signup messages as the ingest puts them on the queue (validated by the real schema),
 * with a realistic field mix: every one has names, about half a phone, a third a company, a quarter an
 * address. Emails are unique within a run (`tag` keeps runs apart).
 */
export function makeSignupMessages(count: number, tag: string, seed = 42): BenchMessage[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const receivedAt = new Date().toISOString();
  return Array.from({ length: count }, (_, index) => {
    const first = pick(FIRST);
    const last = pick(LAST);
    const email = `${first}.${last}.${tag}-${index}@example.com`.toLowerCase();
    const id = `${tag}-${index.toString().padStart(6, '0')}`;
    const message: SignupMessage = signupMessageSchema.parse({
      schema_version: 1,
      id,
      idempotency_key: `api:${id}`,
      received_at: receivedAt,
      source: { id: 'api', kind: 'canonical' },
      signup: {
        email,
        first_name: first,
        last_name: last,
        ...(random() < 0.5 ? { phone: `+1 555 ${String(1000 + index).slice(-4)}` } : {}),
        ...(random() < 0.33 ? { company: `${last} & Co` } : {}),
        ...(random() < 0.25 ? { address: { address1: `${index} Main St`, city: pick(CITIES), country_code: 'US', postal_code: '12345' } } : {}),
        consent: { marketing: random() < 0.6 },
      },
    });
    return { messageId: `sqs-${id}`, email, body: JSON.stringify(message), attributes: signupMessageAttributes(message) };
  });
}
