import type { EndpointResult } from './customers-api';
import { type ApiResponse, json, problem } from './http';
import { timestamp } from './store';
import type { ChannelStatus, ScopeArea, StoreSetup } from './types';

/**
 * The store configuration endpoints `signup-sync doctor` reads:
 *   GET  /v3/channels                                (Channels v3)
 *   GET  /v3/customers/settings                      (Customers v3, global settings)
 *   GET  /v3/customers/settings/channels/{id}        (Customers v3, per-channel settings)
 *   GET  /v2/customer_groups/{id}                    (Customers v2)
 * Shapes follow BigCommerce's published OpenAPI files (bigcommerce/docs reference/*.yml); docs/operations.md
 * names the sections. No faults apply here; scopes and foreign tokens do (server.ts). Subscribers are
 * subscribers-api.ts.
 */

export type StoreRoute = Readonly<{ scope: ScopeArea; run: () => EndpointResult }>;

const result = (response: ApiResponse, items = 0): EndpointResult => ({ response, items, created: 0, updated: 0 });

export class StoreSettingsApi {
  constructor(
    private readonly channels: () => readonly number[],
    private readonly setup: () => StoreSetup,
  ) {}

  /** The route for a request, or undefined when it is not one of these endpoints. */
  route(version: 'v2' | 'v3', method: string, path: string): StoreRoute | undefined {
    if (version === 'v2') {
      const group = /^\/customer_groups\/(\d+)\/?$/.exec(path);
      return group && method === 'GET' ? { scope: 'customers-read', run: () => this.customerGroup(Number(group[1])) } : undefined;
    }
    if (path === '/channels' && method === 'GET') return { scope: 'channels-read', run: () => this.listChannels() };
    if (path === '/customers/settings' && method === 'GET') return { scope: 'customers-read', run: () => this.globalSettings() };
    const channelSettings = /^\/customers\/settings\/channels\/(\d+)\/?$/.exec(path);
    if (channelSettings && method === 'GET') return { scope: 'customers-read', run: () => this.channelSettings(Number(channelSettings[1])) };
    return undefined;
  }

  private status(id: number): ChannelStatus {
    return this.setup().channelStatuses?.[String(id)] ?? 'active';
  }

  private listChannels(): EndpointResult {
    const now = timestamp(new Date(0));
    const data = this.channels().map((id) => ({
      id,
      name: id === 1 ? 'Default storefront' : `Channel ${id}`,
      type: 'storefront',
      platform: 'bigcommerce',
      status: this.status(id),
      external_id: '',
      is_listable_from_ui: true,
      is_visible: true,
      date_created: now,
      date_modified: now,
    }));
    const pagination = { total: data.length, count: data.length, per_page: 250, current_page: 1, total_pages: 1, links: { current: '?page=1&limit=250' } };
    return result(json(200, { data, meta: { pagination } }), data.length);
  }

  private groupSettings() {
    return { guest_customer_group_id: 0, default_customer_group_id: this.setup().defaultCustomerGroupId ?? 0 };
  }

  private globalSettings(): EndpointResult {
    return result(
      json(200, {
        data: { privacy_settings: { ask_shopper_for_tracking_consent: false, policy_url: '' }, customer_group_settings: this.groupSettings() },
        meta: {},
      }),
    );
  }

  private channelSettings(id: number): EndpointResult {
    if (!this.channels().includes(id)) return result(problem(404, 'Channel not found'));
    const overrides = this.setup().allowGlobalLogins ?? {};
    // BigCommerce: global logins are on by default only for the default storefront (channel 1).
    const allowGlobalLogins = String(id) in overrides ? overrides[String(id)] : id === 1;
    return result(
      json(200, {
        data: {
          privacy_settings: { ask_shopper_for_tracking_consent: null, policy_url: null },
          customer_group_settings: { guest_customer_group_id: null, default_customer_group_id: null },
          allow_global_logins: allowGlobalLogins,
        },
        meta: {},
      }),
    );
  }

  private customerGroup(id: number): EndpointResult {
    const group = (this.setup().customerGroups ?? []).find((candidate) => candidate.id === id);
    // v2 errors are an array of { status, message }.
    if (!group) return result({ status: 404, body: [{ status: 404, message: 'The requested resource was not found.' }] });
    return result(json(200, { id: group.id, name: group.name, is_default: false, category_access: { type: 'all' }, discount_rules: [] }), 1);
  }
}
