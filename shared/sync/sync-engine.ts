import type { ApiResult, RequestOptions } from '../bigcommerce/client';
import type { Customer, CustomerCreateInput, CustomerUpdateInput } from '../bigcommerce/customer';
import { BigCommerceError } from '../bigcommerce/errors';
import { type RateLimitState, rateLimitWaitMs } from '../bigcommerce/rate-limit';
import { MARKETING_NEWSLETTER, type Subscriber, type SubscriberCreateInput, type SubscriberUpdateInput } from '../bigcommerce/subscriber';
import type { Logger } from '../logger';
import type { PlaceholderNameField, SignupMessage } from '../signup/signup-schema';
import { type AttributeIds, type CustomerOptions, latestCustomerDefaults, toCustomerCreate, toCustomerUpdate, withCustomerDefaults } from './customer-mapping';
import type { Rejection } from './decode-message';
import { DeferBatchError } from './errors';
import type { ExistingShare } from './existing-share';
import type { DeferReason, SubscriberPart, SyncOutcome } from './outcome';
import type { QuotaPacer } from './quota-pacer';
import { groupEventTime, signupIsNewer, updateCarriesFields } from './safe-update';
import { planGroup, type SubscriptionIntent } from './subscription-plan';

/** The BigCommerce operations the engine needs (BigCommerceClient implements it). */
export interface CustomerApi {
  createCustomers(customers: readonly CustomerCreateInput[], options?: RequestOptions): Promise<ApiResult<Customer[]>>;
  updateCustomers(customers: readonly CustomerUpdateInput[], options?: RequestOptions): Promise<ApiResult<Customer[]>>;
  findCustomersByEmail(emails: readonly string[], options?: RequestOptions): Promise<ApiResult<Customer[]>>;
}

/** The Subscribers API operations the engine needs (BigCommerceClient implements it; it has no delete). */
export interface SubscriberApi {
  createSubscriber(subscriber: SubscriberCreateInput, options?: RequestOptions): Promise<ApiResult<Subscriber>>;
  updateSubscriber(id: number, update: SubscriberUpdateInput, options?: RequestOptions): Promise<ApiResult<Subscriber>>;
  findSubscribersByEmail(email: string, options?: RequestOptions): Promise<ApiResult<Subscriber[]>>;
}

/** `newsletterOnly`: write no customer part for this message (a double opt-in confirmation whose customer exists). */
export type SyncItem = Readonly<{ id: string; message: SignupMessage; newsletterOnly?: boolean }>;

export type ConflictPolicy = 'skip' | 'update';

export type SyncEngineOptions = Readonly<{
  conflictPolicy: ConflictPolicy;
  customer: CustomerOptions;
  attributeIds: AttributeIds;
  /**
   * Write newsletter subscribers for marketing consent and opt-outs (docs/subscribers.md). Default
   * true; false = customers only, as before schema version 2.
   */
  subscribers?: boolean;
  /** Per-request timeout ceiling. */
  requestTimeoutMs: number;
  /** Time kept back at the end of the invocation for DLQ sends and the response. */
  reserveMs?: number;
  /** A request is not started with less time than this for it. */
  minRequestMs?: number;
  /** Re-sends after 5xx / timeout / connection errors within one invocation. */
  maxTransientRetries?: number;
  baseBackoffMs?: number;
}>;

/** The engine's time budget and retry settings when the options leave them out (as the deployed sync does). */
export const SYNC_ENGINE_DEFAULTS = { reserveMs: 2_000, minRequestMs: 1_000, maxTransientRetries: 3, baseBackoffMs: 200 } as const;

export type SyncEngineDeps = Readonly<{
  api: CustomerApi & SubscriberApi;
  pacer: QuotaPacer;
  /** When many signups already exist, look batches up before POSTing them (see existing-share.ts). */
  existingShare?: ExistingShare;
  /** Milliseconds the invocation has left (Lambda's getRemainingTimeInMillis). */
  remainingTimeMs: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  logger?: Logger;
}>;

/** BigCommerce's limit on POST and PUT /v3/customers. */
export const MAX_CUSTOMERS_PER_REQUEST = 10;

/** All messages of one email: at most one customer and one newsletter part, one outcome. */
type Group = {
  readonly email: string;
  readonly itemIds: readonly string[];
  /** Undefined: no customer part (a nameless subscriber, an opt-out). */
  readonly customer: CustomerCreateInput | undefined;
  /** The channels this customer is created in (its source's, else the global ones); undefined = global access. */
  readonly channelIds: readonly number[] | undefined;
  readonly subscription: SubscriptionIntent | undefined;
  /** The customer's names that are placeholders: left out of its PUT (conflict policy `update`). */
  readonly placeholderNames: ReadonlySet<PlaceholderNameField>;
  /** Refused as a whole: nothing is sent for it. */
  rejection?: Rejection;
  /** The customer part's outcome. */
  outcome?: SyncOutcome;
  /** The newsletter part, once done. */
  subscriber?: SubscriberPart;
  existingId?: number;
  /** The found customer's `date_modified` (conflict policy `update`: last writer wins, safe-update.ts). */
  existingModifiedAt?: string | null;
  /** When the group's latest signup happened (safe-update.ts). */
  readonly eventTimeMs: number;
  /** A lookup found no such customer (so a later 422 for it alone is about its data). */
  knownAbsent?: boolean;
};

/** Groups still to create, and whether an earlier attempt may have created some of them. */
type Chunk = { groups: Group[]; reconcile: boolean; transientFailures: number };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const ALREADY_IN_USE = /email\s+(\S+)\s+already in use/i;
const INDEXED_KEY = /^(\d+)\./;

function describeProblem(error: BigCommerceError): string {
  const errors = Object.entries(error.problem?.errors ?? {}).map(([key, value]) => `${key}: ${value}`);
  return [error.problem?.title, ...errors].filter(Boolean).join(' | ').slice(0, 1000) || error.message;
}

/**
 * Whether the subscriber changed after the event happened. A subscription that would give back the
 * consent of such a subscriber is older than the change that withdrew it (a late or repeated delivery)
 * and is not applied. Opt-outs are always applied: BigCommerce keeps no event times, and when in doubt
 * the store must not mail (a re-subscription that happened while the opt-out was still queued stays
 * unsubscribed; docs/subscribers.md). Within one batch the latest event already won (subscription-plan.ts).
 */
function changedSince(subscriber: Subscriber, eventTime: number): boolean {
  // `eventTime` is the one event-time rule's (shared/signup/event-time.ts): never later than the receipt.
  const modified = subscriber.date_modified ? Date.parse(subscriber.date_modified) : Number.NaN;
  return Number.isFinite(modified) && Number.isFinite(eventTime) && modified > eventTime;
}

function halves<T>(items: readonly T[]): [T[], T[]] {
  const middle = Math.ceil(items.length / 2);
  return [items.slice(0, middle), items.slice(middle)];
}

/**
 * Syncs up to 10 queue messages to BigCommerce with as few requests as the answers allow, and returns
 * one outcome per message id. The failure semantics (docs/sync-semantics.md):
 * - 200: created, matched to messages by lower-cased email (response order is not documented);
 * - 422: look the emails up (existing = existed), then re-send the rest, isolating the bad ones by the
 *   index or email the error names, else by halves, until a record rejected alone is `rejected`;
 * - 413: split; 429: wait for the quota if time allows, else defer with the reset time;
 * - 5xx / timeout / reset / unreadable 2xx: the write may have happened, so look up before any re-send;
 * - 401/403 (after the client's one token refresh): defer everything.
 * A customer is never POSTed twice without a lookup in between, so nothing is created twice.
 */
export async function syncSignups(items: readonly SyncItem[], deps: SyncEngineDeps, options: SyncEngineOptions): Promise<Map<string, SyncOutcome>> {
  const run = new SyncRun(deps, options);
  return run.execute(items);
}

class SyncRun {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly reserveMs: number;
  private readonly minRequestMs: number;
  private readonly maxTransientRetries: number;
  private readonly baseBackoffMs: number;
  private consecutiveRateLimits = 0;

  constructor(
    private readonly deps: SyncEngineDeps,
    private readonly options: SyncEngineOptions,
  ) {
    this.sleep = deps.sleep ?? defaultSleep;
    this.random = deps.random ?? Math.random;
    this.reserveMs = options.reserveMs ?? SYNC_ENGINE_DEFAULTS.reserveMs;
    this.minRequestMs = options.minRequestMs ?? SYNC_ENGINE_DEFAULTS.minRequestMs;
    this.maxTransientRetries = options.maxTransientRetries ?? SYNC_ENGINE_DEFAULTS.maxTransientRetries;
    this.baseBackoffMs = options.baseBackoffMs ?? SYNC_ENGINE_DEFAULTS.baseBackoffMs;
  }

  async execute(items: readonly SyncItem[]): Promise<Map<string, SyncOutcome>> {
    const groups = this.group(items);
    const customers = groups.filter((group) => group.customer !== undefined && !group.rejection);
    let deferral: Readonly<{ status: 'deferred'; reason: DeferReason; retryAfterMs?: number }> = { status: 'deferred', reason: 'out-of-time' };
    try {
      await this.create(customers);
      const settled = customers.filter((group) => group.outcome && group.outcome.status !== 'rejected');
      this.deps.existingShare?.observe(settled.filter((group) => group.outcome?.status === 'existed').length, settled.length);
      if (this.options.conflictPolicy === 'update') await this.update(customers.filter((group) => group.outcome?.status === 'existed'));
      // After the customer batch: one request per subscriber (BigCommerce has no batch), same pacer and failure table.
      for (const group of groups) {
        const customerDone = group.customer === undefined || (group.outcome !== undefined && group.outcome.status !== 'rejected');
        if (group.subscription && !group.rejection && customerDone) await this.syncSubscriber(group, group.subscription);
      }
    } catch (error) {
      if (!(error instanceof DeferBatchError)) throw error;
      deferral = { status: 'deferred', reason: error.reason, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) };
      const unsettled = groups.filter((group) => this.outcomeOf(group, deferral).status === 'deferred').length;
      this.deps.logger?.warn('batch deferred', { reason: error.reason, deferred: unsettled, retryAfterMs: error.retryAfterMs, detail: error.message });
    }
    const outcomes = new Map<string, SyncOutcome>();
    for (const group of groups) {
      for (const id of group.itemIds) outcomes.set(id, this.outcomeOf(group, deferral));
    }
    return outcomes;
  }

  /** A group's outcome: done only when every part is done; a rejected part rejects the message. */
  private outcomeOf(group: Group, deferral: SyncOutcome): SyncOutcome {
    if (group.rejection) return { status: 'rejected', rejection: group.rejection };
    const customer = group.outcome;
    if (group.customer !== undefined && (customer === undefined || customer.status === 'deferred' || customer.status === 'rejected'))
      return customer ?? deferral;
    if (group.subscription && !group.subscriber) return deferral;
    if (customer && (customer.status === 'created' || customer.status === 'existed' || customer.status === 'updated')) {
      return group.subscriber ? { ...customer, subscriber: group.subscriber } : customer;
    }
    return group.subscriber
      ? { status: group.subscriber.status, ...(group.subscriber.subscriberId !== undefined ? { subscriberId: group.subscriber.subscriberId } : {}) }
      : deferral;
  }

  private group(items: readonly SyncItem[]): Group[] {
    const byEmail = new Map<string, SyncItem[]>();
    for (const item of items) {
      const email = item.message.signup.email.toLowerCase();
      byEmail.set(email, [...(byEmail.get(email) ?? []), item]);
    }
    return [...byEmail.entries()].map(([email, members]) => {
      const messages = members.map((member) => member.message);
      const newsletterOnly = new Set(members.filter((member) => member.newsletterOnly === true).map((member) => member.message));
      const plan = planGroup(messages, this.options.subscribers ?? true, newsletterOnly);
      // The latest message's source settings win, as its fields do in mergeSignups.
      const defaults = latestCustomerDefaults(messages);
      const customer = plan.customer && toCustomerCreate(plan.customer, this.options.customer, this.options.attributeIds, defaults);
      const channelIds = customer ? customer.channel_ids : withCustomerDefaults(this.options.customer, defaults).channelIds;
      return {
        email,
        itemIds: members.map((member) => member.id),
        customer,
        channelIds,
        subscription: plan.subscription,
        placeholderNames: plan.placeholderNames,
        eventTimeMs: groupEventTime(messages),
        ...(plan.rejection ? { rejection: plan.rejection } : {}),
      };
    });
  }

  private async create(all: Group[]): Promise<void> {
    if (all.length === 0) return;
    const work: Chunk[] = [];
    const lookupFirst = this.deps.existingShare?.lookupFirst() ?? false;
    for (let start = 0; start < all.length; start += MAX_CUSTOMERS_PER_REQUEST) {
      work.push({ groups: all.slice(start, start + MAX_CUSTOMERS_PER_REQUEST), reconcile: lookupFirst, transientFailures: 0 });
    }
    while (work.length > 0) {
      const chunk = work.shift()!;
      let groups = chunk.groups.filter((group) => !group.outcome);
      if (groups.length > 0 && chunk.reconcile) groups = await this.reconcile(groups);
      if (groups.length === 0) continue;
      try {
        const result = await this.call((timeoutMs) =>
          this.deps.api.createCustomers(
            groups.map((group) => group.customer!),
            { timeoutMs },
          ),
        );
        const leftovers = this.markCreated(groups, result.data);
        // A 200 that does not list a customer we sent: undocumented, so find out rather than guess.
        if (leftovers.length > 0) work.unshift({ groups: leftovers, reconcile: true, transientFailures: chunk.transientFailures });
      } catch (error) {
        if (!(error instanceof BigCommerceError)) throw error;
        work.unshift(...(await this.recover(groups, chunk, error)));
      }
    }
  }

  /** Decides what to send next after a failed POST; throws DeferBatchError to stop. */
  private async recover(groups: Group[], chunk: Chunk, error: BigCommerceError): Promise<Chunk[]> {
    switch (error.kind) {
      case 'too-large': {
        if (groups.length === 1) {
          this.reject(groups[0]!, error);
          return [];
        }
        return halves(groups).map((half) => ({ groups: half, reconcile: false, transientFailures: chunk.transientFailures }));
      }
      case 'invalid':
      case 'conflict':
        return this.isolate(groups, error);
      case 'rate-limited':
        await this.waitForQuota(error.rateLimit);
        return [{ ...chunk, groups }];
      case 'unauthorized':
        throw new DeferBatchError('unauthorized', error.message);
      default: {
        const transientFailures = chunk.transientFailures + 1;
        if (transientFailures > this.maxTransientRetries) {
          throw new DeferBatchError('bigcommerce-unavailable', `BigCommerce failed ${transientFailures} times (${error.kind})`);
        }
        await this.backoff(transientFailures, 'bigcommerce-unavailable');
        return [{ groups, reconcile: true, transientFailures }];
      }
    }
  }

  /**
   * After a 422: anything that now exists (a duplicate, or created by a partial batch) is settled by
   * looking it up; then the rest is re-sent with the culprit alone when the error names it, else by halves.
   */
  private async isolate(groups: Group[], error: BigCommerceError): Promise<Chunk[]> {
    const named = this.namedCulprit(groups, error);
    if (groups.length === 1) {
      // Alone and refused: rejected, unless it exists. A vague 422 may mean "already in use", so look
      // it up unless a lookup already found it absent (and the error does not say otherwise).
      const group = groups[0]!;
      const mayExist = !group.knownAbsent || ALREADY_IN_USE.test(describeProblem(error));
      if (!mayExist || (await this.reconcile(groups)).length > 0) this.reject(group, error);
      return [];
    }
    const remaining = await this.reconcile(groups);
    if (remaining.length === 0) return [];
    if (named && remaining.includes(named)) {
      const rest = remaining.filter((group) => group !== named);
      return [
        { groups: [named], reconcile: false, transientFailures: 0 },
        ...(rest.length > 0 ? [{ groups: rest, reconcile: false, transientFailures: 0 }] : []),
      ];
    }
    if (named && !remaining.includes(named)) {
      // The named item already existed (e.g. "already in use"); the others may well be fine.
      return [{ groups: remaining, reconcile: false, transientFailures: 0 }];
    }
    if (remaining.length === 1) return [{ groups: remaining, reconcile: false, transientFailures: 0 }];
    return halves(remaining).map((half) => ({ groups: half, reconcile: false, transientFailures: 0 }));
  }

  /** The group a 422 points at, by index key ("3.first_name") or by the email it quotes. */
  private namedCulprit(groups: readonly Group[], error: BigCommerceError): Group | undefined {
    for (const [key, message] of Object.entries(error.problem?.errors ?? {})) {
      const email = ALREADY_IN_USE.exec(message)?.[1]?.toLowerCase();
      if (email) {
        const match = groups.find((group) => group.email === email);
        if (match) return match;
      }
      const index = INDEXED_KEY.exec(key)?.[1];
      if (index !== undefined && groups[Number(index)]) return groups[Number(index)];
    }
    return undefined;
  }

  /** Whether a found customer is the one this group would create (same email, a shared channel). */
  private matchesChannel(group: Group, customer: Customer): boolean {
    const wanted = group.channelIds;
    if (!wanted || !customer.channel_ids) return true;
    return customer.channel_ids.some((channel) => wanted.includes(channel));
  }

  /** Looks the groups' emails up; those that exist are settled as `existed`. Returns the rest. */
  private async reconcile(groups: Group[]): Promise<Group[]> {
    const found = await this.withSafeRetries((timeoutMs) =>
      this.deps.api.findCustomersByEmail(
        groups.map((group) => group.email),
        { timeoutMs },
      ),
    );
    return groups.filter((group) => {
      // The last match wins, as before per-source channels: one email can have a customer per channel.
      const customer = found.data.filter((candidate) => candidate.email.toLowerCase() === group.email && this.matchesChannel(group, candidate)).at(-1);
      group.knownAbsent = !customer;
      if (!customer) return true;
      group.existingId = customer.id;
      group.existingModifiedAt = customer.date_modified;
      group.outcome = { status: 'existed', customerId: customer.id };
      return false;
    });
  }

  private markCreated(groups: Group[], created: readonly Customer[]): Group[] {
    const byEmail = new Map(created.map((customer) => [customer.email.toLowerCase(), customer]));
    return groups.filter((group) => {
      const customer = byEmail.get(group.email);
      if (!customer) return true;
      group.outcome = { status: 'created', customerId: customer.id };
      return false;
    });
  }

  private reject(group: Group, error: BigCommerceError): void {
    group.outcome = {
      status: 'rejected',
      rejection: { code: 'bigcommerce-rejected', ...(error.status ? { httpStatus: error.status } : {}), detail: describeProblem(error) },
    };
  }

  /**
   * Conflict policy `update` (docs/sync-semantics.md#conflict-policy): batch PUT the existing customers the
   * signup is newer than (last writer wins by event time, safe-update.ts), with toCustomerUpdate's
   * `customer_Put` fields only. One request at a time, as every request of a run, so the PUTs in flight
   * never exceed maxConcurrency. PUT is idempotent, so retries are safe. A group is not settled until its
   * PUT succeeded: a deferral (429, 401, time out) sends its messages back to SQS instead of acknowledging
   * them as `existed`, and the next delivery finds the customer again and updates it then.
   */
  private async update(existing: Group[]): Promise<void> {
    const pending = new Set(existing);
    try {
      const unknownIds = existing.filter((group) => group.existingId === undefined);
      if (unknownIds.length > 0) {
        const found = await this.withSafeRetries((timeoutMs) =>
          this.deps.api.findCustomersByEmail(
            unknownIds.map((group) => group.email),
            { timeoutMs },
          ),
        );
        for (const customer of found.data) {
          const group = unknownIds.find((candidate) => candidate.email === customer.email.toLowerCase());
          if (group && this.matchesChannel(group, customer)) {
            group.existingId = customer.id;
            group.existingModifiedAt = customer.date_modified;
          }
        }
      }
      const updateOf = (group: Group) => toCustomerUpdate(group.existingId!, group.customer!, group.placeholderNames);
      for (const group of existing) {
        // Gone since, or changed after the signup happened: left as it is, and `existed` is the outcome.
        if (group.existingId === undefined || !signupIsNewer(group.eventTimeMs, group.existingModifiedAt)) pending.delete(group);
        // Nothing to write but placeholder names (a newsletter-only signup): the real names stay.
        else if (!updateCarriesFields(updateOf(group))) pending.delete(group);
      }
      if (pending.size < existing.length)
        this.deps.logger?.info('existing customers left as they are: changed after their signups, or nothing but placeholder names to write', {
          kept: existing.length - pending.size,
        });
      const work = [[...pending]];
      while (work.length > 0) {
        const groups = work.shift()!;
        if (groups.length === 0) continue;
        if (groups.length > MAX_CUSTOMERS_PER_REQUEST) {
          work.unshift(groups.slice(0, MAX_CUSTOMERS_PER_REQUEST), groups.slice(MAX_CUSTOMERS_PER_REQUEST));
          continue;
        }
        try {
          await this.withSafeRetries((timeoutMs) => this.deps.api.updateCustomers(groups.map(updateOf), { timeoutMs }));
          for (const group of groups) {
            group.outcome = { status: 'updated', customerId: group.existingId! };
            pending.delete(group);
          }
        } catch (error) {
          if (!(error instanceof BigCommerceError) || (error.kind !== 'invalid' && error.kind !== 'too-large' && error.kind !== 'conflict')) throw error;
          if (groups.length > 1) {
            work.unshift(...halves(groups));
            continue;
          }
          const group = groups[0]!;
          group.outcome = {
            status: 'rejected',
            rejection: { code: 'update-rejected', ...(error.status ? { httpStatus: error.status } : {}), detail: describeProblem(error) },
          };
          pending.delete(group);
        }
      }
    } catch (error) {
      // Not updated yet, so not done: left `existed`, the message would be acknowledged and the update lost.
      for (const group of pending) delete group.outcome;
      throw error;
    }
  }

  /** The channel a subscriber is written in: the group's first channel (else BigCommerce's default). */
  private subscriberChannel(group: Group): number | undefined {
    return group.channelIds?.[0];
  }

  /** The subscriber of this email (in the group's channel when there are several), or undefined. */
  private async findSubscriber(group: Group): Promise<Subscriber | undefined> {
    const found = await this.withSafeRetries((timeoutMs) => this.deps.api.findSubscribersByEmail(group.email, { timeoutMs }));
    const matches = found.data.filter((subscriber) => subscriber.email.toLowerCase() === group.email);
    const channel = this.subscriberChannel(group);
    return matches.find((subscriber) => channel === undefined || subscriber.channel_id === channel) ?? matches[0];
  }

  /**
   * The newsletter part of one group (docs/subscribers.md):
   * - subscribe: POST; 409 -> find it and PUT `marketing_newsletter` into its consents when missing
   *   (no other consent is ever removed); 5xx / timeout -> back off, then look up before any re-POST;
   *   429 -> wait or defer; 422 -> the message is rejected with BigCommerce's reason;
   * - unsubscribe: find it and PUT its consents without `marketing_newsletter`; none = nothing to do.
   * Never DELETE: the client has no such method (an unfiltered DELETE removes every subscriber).
   */
  private async syncSubscriber(group: Group, intent: SubscriptionIntent): Promise<void> {
    try {
      if (intent.action === 'unsubscribe') {
        const existing = await this.findSubscriber(group);
        if (!existing) {
          group.subscriber = { status: 'not-subscribed' };
          return;
        }
        const consents = existing.consents ?? [];
        if (consents.includes(MARKETING_NEWSLETTER)) {
          const remaining = consents.filter((consent) => consent !== MARKETING_NEWSLETTER);
          await this.withSafeRetries((timeoutMs) => this.deps.api.updateSubscriber(existing.id, { consents: remaining }, { timeoutMs }));
        }
        group.subscriber = { status: 'unsubscribed', subscriberId: existing.id };
        return;
      }
      await this.subscribe(group, intent);
    } catch (error) {
      if (!(error instanceof BigCommerceError)) throw error;
      if (error.kind !== 'invalid' && error.kind !== 'too-large' && error.kind !== 'conflict')
        throw new DeferBatchError('bigcommerce-unavailable', error.message, undefined, { cause: error });
      group.rejection = { code: 'subscriber-rejected', ...(error.status ? { httpStatus: error.status } : {}), detail: describeProblem(error) };
    }
  }

  private async subscribe(group: Group, intent: SubscriptionIntent): Promise<void> {
    const wanted = [MARKETING_NEWSLETTER, ...(intent.abandonedCart ? ['abandoned_cart'] : [])];
    const channel = this.subscriberChannel(group);
    const body: SubscriberCreateInput = {
      email: group.email,
      ...(intent.first_name ? { first_name: intent.first_name } : {}),
      ...(intent.last_name ? { last_name: intent.last_name } : {}),
      source: 'custom',
      ...(channel !== undefined ? { channel_id: channel } : {}),
      consents: wanted,
    };
    let lookupFirst = false;
    let conflicts = 0;
    for (let failures = 0; ; ) {
      if (lookupFirst) {
        const existing = await this.findSubscriber(group);
        if (existing) {
          const consents = existing.consents ?? [];
          if (consents.includes(MARKETING_NEWSLETTER)) {
            group.subscriber = { status: 'subscribed', subscriberId: existing.id };
          } else if (changedSince(existing, intent.eventTime)) {
            group.subscriber = { status: 'superseded', subscriberId: existing.id };
          } else {
            const merged = [...new Set([...consents, ...wanted])];
            await this.withSafeRetries((timeoutMs) => this.deps.api.updateSubscriber(existing.id, { consents: merged }, { timeoutMs }));
            group.subscriber = { status: 'resubscribed', subscriberId: existing.id };
          }
          return;
        }
        if (conflicts > 1) {
          // BigCommerce says the email is taken, yet no subscriber with it can be found: not ours to guess.
          throw new BigCommerceError('invalid', 'POST /customers/subscribers answered 409 but no subscriber with this email was found', { status: 409 });
        }
      }
      try {
        const created = await this.call((timeoutMs) => this.deps.api.createSubscriber(body, { timeoutMs }));
        group.subscriber = { status: 'subscribed', subscriberId: created.data.id };
        return;
      } catch (error) {
        if (!(error instanceof BigCommerceError)) throw error;
        switch (error.kind) {
          case 'conflict':
            conflicts += 1;
            lookupFirst = true;
            break;
          case 'rate-limited':
            await this.waitForQuota(error.rateLimit);
            break;
          case 'unauthorized':
            throw new DeferBatchError('unauthorized', error.message);
          case 'invalid':
          case 'too-large':
            throw error;
          default:
            // 5xx / timeout / reset / unreadable 2xx: the subscriber may exist now, so look before re-POSTing.
            failures += 1;
            if (failures > this.maxTransientRetries)
              throw new DeferBatchError('bigcommerce-unavailable', `BigCommerce failed ${failures} times (${error.kind})`);
            await this.backoff(failures, 'bigcommerce-unavailable');
            lookupFirst = true;
        }
      }
    }
  }

  /** For requests that change nothing when repeated (GET, PUT): retry transient failures and 429s. */
  private async withSafeRetries<T>(send: (timeoutMs: number) => Promise<ApiResult<T>>): Promise<ApiResult<T>> {
    for (let failures = 0; ; ) {
      try {
        return await this.call(send);
      } catch (error) {
        if (!(error instanceof BigCommerceError)) throw error;
        if (error.kind === 'rate-limited') {
          await this.waitForQuota(error.rateLimit);
        } else if (error.retryable || error.kind === 'unexpected') {
          failures += 1;
          if (failures > this.maxTransientRetries) throw new DeferBatchError('bigcommerce-unavailable', `BigCommerce failed ${failures} times (${error.kind})`);
          await this.backoff(failures, 'bigcommerce-unavailable');
        } else if (error.kind === 'unauthorized') {
          throw new DeferBatchError('unauthorized', error.message);
        } else {
          throw error;
        }
      }
    }
  }

  /** One request: paced by the quota, with a timeout that fits the time left, feeding the pacer. */
  private async call<T>(send: (timeoutMs: number) => Promise<ApiResult<T>>): Promise<ApiResult<T>> {
    const pause = this.deps.pacer.delayMs();
    if (pause > 0) await this.waitIfTime(pause, 'rate-limited');
    const timeoutMs = Math.min(this.options.requestTimeoutMs, this.available());
    if (timeoutMs < this.minRequestMs) throw new DeferBatchError('out-of-time', 'Not enough time left for another request');
    try {
      const result = await send(timeoutMs);
      this.deps.pacer.observe(result.rateLimit);
      this.consecutiveRateLimits = 0;
      return result;
    } catch (error) {
      if (error instanceof BigCommerceError) this.deps.pacer.observe(error.rateLimit);
      throw error;
    }
  }

  private available(): number {
    return this.deps.remainingTimeMs() - this.reserveMs;
  }

  /** 429: wait the longer of the reset headers plus jitter, longer on repeats; defer if we cannot. */
  private async waitForQuota(rateLimit: RateLimitState | undefined): Promise<void> {
    this.consecutiveRateLimits += 1;
    // BigCommerce documents a 429 without headers as platform load: back off from a second.
    const base = rateLimitWaitMs(rateLimit) ?? 1_000;
    const wait = base * 2 ** (this.consecutiveRateLimits - 1) + Math.floor(this.random() * Math.min(1_000, base * 0.1 + 10));
    await this.waitIfTime(wait, 'rate-limited');
  }

  private async backoff(failures: number, reason: 'bigcommerce-unavailable'): Promise<void> {
    const wait = this.baseBackoffMs * 2 ** (failures - 1) * (0.5 + this.random());
    await this.waitIfTime(wait, reason);
  }

  /** Sleeps only if a request can still follow the sleep; otherwise defers with the wait as the hint. */
  private async waitIfTime(ms: number, reason: 'rate-limited' | 'bigcommerce-unavailable'): Promise<void> {
    if (this.available() - ms < this.minRequestMs) {
      throw new DeferBatchError(reason, `Waiting ${Math.round(ms)} ms would exceed the time left`, reason === 'rate-limited' ? Math.ceil(ms) : undefined);
    }
    await this.sleep(ms);
  }
}
