import { loadSyncConfig } from '../../shared/config/sync-config';
import { buildSyncHandler } from './build-handler';

// Cold start: the environment is validated (a bad variable fails here, named) and the handler built once.
export const handler = buildSyncHandler(loadSyncConfig());
