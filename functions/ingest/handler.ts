import { loadIngestConfig } from '../../shared/config/ingest-config';
import { buildIngestHandler } from './build-handler';

// Cold start: the environment (the sources list included) is validated, naming a bad variable, and the
// handler built once; the sources secret's read and the first request's other calls start now, and the
// secret is cached across warm invocations.
export const handler = buildIngestHandler(loadIngestConfig(), { warmUpAtColdStart: true });
