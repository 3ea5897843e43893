import { DeleteQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SIGNUP_MESSAGE_SCHEMA_VERSION, signupMessageSchema } from '../../shared/signup/signup-schema';
import { aLambdaContext, anApiEvent, aSignup } from '../helpers/events';
import { redrivePolicyOf } from './support/stack-model';
import { useTestbed } from './support/testbed';

jest.setTimeout(60_000);

const bed = useTestbed();

async function queueAttributes(queueUrl: string): Promise<Record<string, string>> {
  const { Attributes = {} } = await bed().sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
  return Attributes;
}

describe('queues created from the synthesized stack', () => {
  it('have the visibility timeout, retention, encryption and redrive policy the stack declares', async () => {
    // Arrange
    const { model } = bed();
    const deployment = await bed().deploy();

    // Act
    const queue = await queueAttributes(deployment.signupQueue.url);
    const deadLetter = await queueAttributes(deployment.deadLetterQueue.url);

    // Assert: the stack wires the signups queue to its own DLQ ...
    const stackPolicy = redrivePolicyOf(model.signupQueue);
    expect(stackPolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': [model.deadLetterQueue.logicalId, 'Arn'] });
    expect(stackPolicy.maxReceiveCount).toBeGreaterThan(1); // deferred messages need at least one redelivery
    // ... and the emulated queues carry exactly the template's values.
    expect(queue.VisibilityTimeout).toBe(String(model.signupQueue.properties.VisibilityTimeout));
    expect(queue.MessageRetentionPeriod).toBe(String(model.signupQueue.properties.MessageRetentionPeriod));
    expect(queue.SqsManagedSseEnabled).toBe('true');
    expect(JSON.parse(queue.RedrivePolicy ?? 'null')).toEqual({
      deadLetterTargetArn: deployment.deadLetterQueue.arn,
      maxReceiveCount: stackPolicy.maxReceiveCount,
    });
    expect(deadLetter.MessageRetentionPeriod).toBe(String(model.deadLetterQueue.properties.MessageRetentionPeriod));
    expect(deadLetter.SqsManagedSseEnabled).toBe('true');
    expect(deadLetter.RedrivePolicy).toBeUndefined();
    // moto kept every attribute the template asked for (none silently dropped).
    for (const [created, actual] of [
      [deployment.signupQueue.attributes, queue],
      [deployment.deadLetterQueue.attributes, deadLetter],
    ] as const) {
      for (const [name, value] of Object.entries(created)) {
        if (name === 'RedrivePolicy') expect(JSON.parse(actual[name] ?? 'null')).toEqual(JSON.parse(value));
        else expect({ [name]: actual[name] }).toEqual({ [name]: value });
      }
    }
  });
});

describe('ingest handler -> SQS', () => {
  it('puts every signup on the queue with its body and message attributes', async () => {
    // Arrange: 12 signups need two SendMessageBatch calls (10 + 2); one carries a sender event id.
    const deployment = await bed().deploy();
    const signups = Array.from({ length: 12 }, (_, i) => aSignup(i === 0 ? { email: '  Mixed.Case@Example.COM ', event_id: 'evt-42' } : {}));

    // Act
    const response = await bed().ingest(deployment, signups);
    const messages = await bed().drain(deployment.signupQueue.url);

    // Assert
    expect(response.statusCode).toBe(202);
    const { accepted, ids } = JSON.parse(response.body ?? '{}') as { accepted: number; ids: string[] };
    expect(accepted).toBe(12);
    expect(messages).toHaveLength(12);
    const bodies = messages.map((message) => signupMessageSchema.parse(JSON.parse(message.Body ?? '')));
    expect(bodies.map((body) => body.id).sort()).toEqual([...ids].sort());
    expect(bodies.map((body) => body.signup.email).sort()).toEqual(signups.map((signup) => signup.email.trim().toLowerCase()).sort());
    for (const [index, message] of messages.entries()) {
      const body = bodies[index]!;
      expect(message.MessageAttributes).toEqual({
        SchemaVersion: { DataType: 'Number', StringValue: String(SIGNUP_MESSAGE_SCHEMA_VERSION) },
        SourceId: { DataType: 'String', StringValue: 'api' },
        SourceKind: { DataType: 'String', StringValue: 'canonical' },
        IdempotencyKey: { DataType: 'String', StringValue: body.idempotency_key },
      });
      expect(body.source).toEqual({ id: 'api', kind: 'canonical' });
      expect(Number(message.Attributes?.ApproximateReceiveCount)).toBe(1);
    }
    const withEvent = bodies.find((body) => body.signup.email === 'mixed.case@example.com');
    expect(withEvent?.idempotency_key).toBe('api:evt-42');
    expect(bodies.filter((body) => body !== withEvent).every((body) => body.idempotency_key === body.id)).toBe(true);
    expect(await bed().depth(deployment.signupQueue.url)).toEqual({ visible: 0, inFlight: 12 });
  });

  it("refuses POST /signups without the key from the stack's sources secret, and enqueues nothing", async () => {
    // Arrange
    const deployment = await bed().deploy();
    const ingest = bed().loadIngest(deployment);
    const event = anApiEvent(JSON.stringify([aSignup()]), { headers: { authorization: 'Bearer not-the-generated-key' } });

    // Act
    const response = (await ingest(event, aLambdaContext())) as APIGatewayProxyStructuredResultV2;

    // Assert
    expect(response.statusCode).toBe(401);
    expect(await bed().depth(deployment.signupQueue.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('answers 503 with Retry-After when SQS refuses the batch, and never 2xx', async () => {
    // Arrange: a deployment whose queue has gone (SQS answers QueueDoesNotExist to every send).
    const deployment = await bed().deploy();
    const ingest = bed().loadIngest(deployment);
    await bed().sqs.send(new DeleteQueueCommand({ QueueUrl: deployment.signupQueue.url }));

    // Act
    const response = await bed().ingest(deployment, [aSignup()], ingest);

    // Assert
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBe('5');
    expect(response.body).not.toContain('QueueDoesNotExist');
  });
});
