// `signup-sync doctor` (docs/operations.md, "Preflight: signup-sync doctor"): what the CLI calls.
export { type DoctorIo, type DoctorOptions, runDoctor, TOKEN_ENV } from './run-doctor';
export { stackRegionInCdkJson } from './settings';
export type { CheckResult, CheckStatus, LocalDoctorInfo } from './types';
