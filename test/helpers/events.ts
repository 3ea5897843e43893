import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { signupMessageAttributes } from '../../shared/aws/sqs-signup-queue';
import type { SignupInput, SignupMessage } from '../../shared/signup/signup-schema';

let counter = 0;
const nextId = (prefix: string) => {
  counter += 1;
  return `${prefix}-${counter.toString().padStart(6, '0')}`;
};

export function aSignup(overrides: Partial<SignupInput> = {}): SignupInput {
  counter += 1;
  const n = counter;
  return { email: `person${n}@example.com`, first_name: 'Ada', last_name: 'Lovelace', ...overrides };
}

export function anApiEvent(
  body: string | undefined,
  {
    contentType = 'application/json',
    base64 = false,
    routeKey = 'POST /signups',
    headers = {},
  }: { contentType?: string | null; base64?: boolean; routeKey?: string; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const [method, rawPath] = routeKey.split(' ') as [string, string];
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'example.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'example',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'jest' },
      requestId: nextId('req'),
      routeKey,
      stage: '$default',
      time: '27/Nov/2026:07:00:00 +0000',
      timeEpoch: Date.now(),
    },
    body: body === undefined ? undefined : base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  };
}

export function aSignupMessage(signup: Partial<SignupInput> = {}, overrides: Partial<SignupMessage> = {}): SignupMessage {
  const id = nextId('msg');
  const input = aSignup(signup);
  return {
    schema_version: 1,
    id,
    idempotency_key: id,
    received_at: new Date().toISOString(),
    source: { id: 'api', kind: 'canonical' },
    signup: { ...input, email: input.email.trim().toLowerCase() } as SignupMessage['signup'],
    ...overrides,
  };
}

export function anSqsRecord(body: string | SignupMessage, messageId = nextId('sqs')): SQSRecord {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const attributes: Record<string, MessageAttributeValue> = typeof body === 'string' ? {} : signupMessageAttributes(body);
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDA',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [name, { dataType: value.DataType ?? 'String', stringValue: value.StringValue }]),
    ),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:signups',
    awsRegion: 'us-east-1',
  };
}

export const anSqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });

export function aLambdaContext(remainingMs = 30_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'sync',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:sync',
    memoryLimitInMB: '256',
    awsRequestId: nextId('lambda'),
    logGroupName: '/aws/lambda/sync',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
