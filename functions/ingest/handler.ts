import { SQSClient } from '@aws-sdk/client-sqs';
import { loadIngestConfig } from '../../shared/config';
import { createLogger } from '../../shared/logger';
import { createSqsSignupQueue } from '../../shared/queue/signup-queue';
import { makeIngestHandler } from './make-handler';

// Composition root: configuration is validated and clients are created once per cold start.
const config = loadIngestConfig();
const sqs = new SQSClient({});

export const handler = makeIngestHandler({
  queue: createSqsSignupQueue(sqs, config.signupQueueUrl),
  logger: createLogger('signup-ingest'),
});
