import { actionsOf, roleOfFunction, statementsOfRole, synthStack } from '../helpers/synth';

/**
 * The consent table, the double opt-in mail permission and the confirm routes in the synthesized
 * template (docs/privacy.md, docs/subscribers.md): encrypted, on-demand, point-in-time recovery on, TTL
 * retention, kept when the stack is deleted; only the functions may use it; SES only from the configured
 * senders; the confirm routes throttled apart.
 */

const DOI_FORM = {
  id: 'news',
  kind: 'html-form',
  allowedOrigins: ['https://shop.example'],
  thankYouUrl: 'https://shop.example/thanks',
  errorUrl: 'https://shop.example/oops',
  captcha: false,
  captchaReason: 'the template is under test',
  intent: 'newsletter',
  consentVersion: 'v1',
  doubleOptIn: { from: 'Shop <news@mail.shop.example>', subject: 'Please confirm', configurationSet: 'doi-events' },
};

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

function synth(overrides: Record<string, unknown> = {}) {
  const { stack, template } = synthStack(overrides);
  const tableId = stack.getLogicalId(stack.consent.table.node.defaultChild as never);
  const ingestId = stack.getLogicalId(stack.ingress.function.node.defaultChild as never);
  const syncId = stack.getLogicalId(stack.sync.function.node.defaultChild as never);
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; DependsOn?: string[] }
  >;
  const statementsOf = (functionId: string) => statementsOfRole(template, roleOfFunction(template, functionId)) as Statement[];
  const onTable = (functionId: string) => statementsOf(functionId).filter((statement) => JSON.stringify(statement.Resource).includes(tableId));
  const environmentOf = (functionId: string) => (resources[functionId]!.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
  return { template, resources, tableId, ingestId, syncId, statementsOf, onTable, environmentOf };
}

describe('the consent table', () => {
  const { resources, tableId, template } = synth();

  it('is encrypted, on-demand, with point-in-time recovery, TTL retention and keys by person and record, and is retained', () => {
    const table = resources[tableId]!;
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
    expect(table.DeletionPolicy).toBe('Retain');
  });

  it('is named in the outputs with the hash key secret that keys it (signup-sync consent and forget)', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs['ConsentTableName']?.Value).toEqual({ Ref: tableId });
    expect(JSON.stringify(outputs['HashKeySecretArn']?.Value)).toMatch(/LogHashKey/);
  });
});

describe('who may use it', () => {
  it('without double opt-in: the sync alone, by key (no Query, no Scan, no DeleteItem); the ingest not at all; no SES', () => {
    const { onTable, ingestId, syncId, statementsOf, environmentOf } = synth();
    expect(actionsOf(onTable(syncId)).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(onTable(ingestId)).toEqual([]);
    expect(environmentOf(ingestId)).not.toHaveProperty('CONSENT_TABLE');
    expect(environmentOf(syncId)).toHaveProperty('CONSENT_TABLE');
    expect(environmentOf(syncId)).not.toHaveProperty('DOUBLE_OPT_IN');
    expect(actionsOf([...statementsOf(syncId), ...statementsOf(ingestId)]).filter((action) => action.startsWith('ses:'))).toEqual([]);
  });

  it('with double opt-in: the ingest reads pending requests (GetItem only); the sync sends mail from the configured sender only', () => {
    const { onTable, ingestId, syncId, statementsOf, environmentOf } = synth({ sources: [DOI_FORM] });
    expect(actionsOf(onTable(ingestId))).toEqual(['dynamodb:GetItem']);
    expect(environmentOf(ingestId)).toHaveProperty('CONSENT_TABLE');
    expect(environmentOf(syncId)).toHaveProperty('CONFIRM_BASE_URL');
    expect(JSON.parse(environmentOf(syncId)['DOUBLE_OPT_IN'] as string)).toEqual({
      news: expect.objectContaining({ from: 'Shop <news@mail.shop.example>', configurationSet: 'doi-events' }),
    });

    const ses = statementsOf(syncId).filter((statement) => actionsOf([statement]).some((action) => action.startsWith('ses:')));
    expect(ses).toHaveLength(1);
    expect(actionsOf(ses)).toEqual(['ses:SendEmail']);
    const resources = JSON.stringify(ses[0]!.Resource);
    for (const part of [':identity/mail.shop.example', ':identity/news@mail.shop.example', ':configuration-set/doi-events']) expect(resources).toContain(part);
    expect(resources).not.toContain('*');
    expect(ses[0]!.Condition).toEqual({ StringEquals: { 'ses:FromAddress': ['news@mail.shop.example'] } });
    expect(actionsOf(statementsOf(ingestId)).filter((action) => action.startsWith('ses:'))).toEqual([]);
  });
});

describe('the confirm routes', () => {
  it('have a throttle of their own (confirmThrottle, 10 rps and bursts of 20 by default), set after the routes exist', () => {
    const { resources } = synth({ confirmThrottle: { rateLimit: 3, burstLimit: 6 } });
    const stages = Object.values(resources).filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Stage');
    const settings = stages[0]!.Properties['RouteSettings'] as Record<string, unknown>;
    expect(settings['GET /confirm/{token}']).toEqual({ ThrottlingRateLimit: 3, ThrottlingBurstLimit: 6 });
    expect(settings['POST /confirm/{token}']).toEqual({ ThrottlingRateLimit: 3, ThrottlingBurstLimit: 6 });
    const confirmRouteIds = Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::ApiGatewayV2::Route' && String(resource.Properties['RouteKey']).includes('/confirm/'))
      .map(([id]) => id);
    expect(confirmRouteIds).toHaveLength(2);
    expect(stages[0]!.DependsOn).toEqual(expect.arrayContaining(confirmRouteIds));
  });
});

describe('log retention (docs/privacy.md)', () => {
  it('gives every log group of the stack the logRetentionDays setting, and no function logs elsewhere', () => {
    const { resources } = synth({ logRetentionDays: 14 });
    const groups = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::Logs::LogGroup');
    expect(groups.map(([, group]) => group.Properties['RetentionInDays'])).toEqual([14, 14, 14]);
    const functions = Object.values(resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    // Every function writes to one of those groups (no implicit /aws/lambda/… group that never expires).
    for (const fn of functions) {
      const target = (fn.Properties['LoggingConfig'] as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup?.Ref;
      expect(groups.map(([id]) => id)).toContain(target);
    }
    expect(functions).toHaveLength(2);
  });
});

describe('deploy order', () => {
  it('updates the sync before the ingest, so the sync decodes a new message version before the ingest writes it', () => {
    const { resources, ingestId, syncId } = synth();
    expect(resources[ingestId]!.DependsOn).toEqual(expect.arrayContaining([syncId]));
    expect(resources[syncId]!.DependsOn ?? []).not.toContain(ingestId);
  });
});
