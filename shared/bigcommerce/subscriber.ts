import * as z from '../zod-mini';

/**
 * BigCommerce's newsletter subscribers (Subscribers v3, docs/subscribers.md): separate from customers,
 * one subscriber per POST, only the email required. An empty `consents` array means unsubscribed.
 */
export const SUBSCRIBER_CONSENTS = ['marketing_newsletter', 'abandoned_cart'] as const;
export type SubscriberConsent = (typeof SUBSCRIBER_CONSENTS)[number];
export const MARKETING_NEWSLETTER: SubscriberConsent = 'marketing_newsletter';

/** The parts of a subscriber the sync reads back; everything else passes through. */
export const subscriberSchema = z.looseObject({
  id: z.number().check(z.int()),
  email: z.string(),
  channel_id: z.nullish(z.number().check(z.int())),
  // Unknown consent names (a future one) are kept as strings, so a PUT never drops them.
  consents: z.nullish(z.array(z.string())),
  // When the subscriber last changed: a newsletter event older than that does not flip its consent.
  date_modified: z.nullish(z.string()),
});
export type Subscriber = z.infer<typeof subscriberSchema>;

export const subscriberResponseSchema = z.looseObject({ data: subscriberSchema });

export const subscriberListSchema = z.looseObject({
  data: z.array(subscriberSchema),
  meta: z.optional(
    z.looseObject({
      pagination: z.optional(z.looseObject({ total_pages: z.optional(z.number().check(z.int())), current_page: z.optional(z.number().check(z.int())) })),
    }),
  ),
});

/** Body of POST /v3/customers/subscribers (one subscriber). Names are at most 255 characters. */
export type SubscriberCreateInput = Readonly<{
  email: string;
  first_name?: string;
  last_name?: string;
  source?: 'storefront' | 'order' | 'custom';
  channel_id?: number;
  consents: readonly string[];
}>;

/** Body of PUT /v3/customers/subscribers/{id}: the sync changes only the consents. */
export type SubscriberUpdateInput = Readonly<{ consents: readonly string[] }>;
