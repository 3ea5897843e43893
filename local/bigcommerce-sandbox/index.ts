// BigCommerce Customers v3 sandbox: a real HTTP server for tests, local mode and benchmarks
// (design.md "BigCommerce sandbox"). Everything a caller needs is exported from here.
export { startBigCommerceSandbox, formatRetryAfter } from './server';
export { CliUsageError, SandboxOptionsError, SandboxSeedError } from './errors';
export { FAULT_KINDS } from './types';
export type {
  AttributeType,
  BigCommerceSandbox,
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
} from './types';
