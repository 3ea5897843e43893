// BigCommerce Customers v3 sandbox: a real HTTP server for tests, local mode and benchmarks
// (local/bigcommerce-sandbox/README.md). Everything a caller needs is exported from here.

export { SandboxOptionsError, SandboxSeedError } from './errors';
export { formatRetryAfter, startBigCommerceSandbox } from './server';
export type { SandboxSubscriber, SandboxSubscriberConsent } from './subscribers-api';
export type {
  AttributeType,
  BigCommerceSandbox,
  ChannelStatus,
  FaultConfig,
  FaultKind,
  FaultMethod,
  FormFieldValue,
  MutableSandboxOptions,
  RateLimitConfig,
  SandboxAddress,
  SandboxAttribute,
  SandboxAttributeValue,
  SandboxCustomer,
  SandboxFormField,
  SandboxLogEntry,
  SandboxOptions,
  SandboxStats,
  ScopeArea,
  StoreSetup,
} from './types';
export { FAULT_KINDS } from './types';
