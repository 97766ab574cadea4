import { Template } from 'aws-cdk-lib/assertions';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { DEDUPE_SQL, VIEW_COLUMNS } from '../../shared/archive/sql';
import { ARCHIVER_ID, FUNCTIONS } from '../../shared/routes';
import { buildStack, logicalIdOf, queueIdOf, type Json } from './support';

// Issue 21: every stored callback archived to S3 from the table's stream (its own filtered mapping,
// large batches, bisection, retries, a dead-letter queue with an alarm), the bucket locked down and
// retained, a Glue table with partition projection and a deduplicating view, an Athena workgroup
// with a scan limit; `archive: false` deploys none of it.

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

describe('the archive: bucket, feed, Glue table and workgroup', () => {
  const stack = buildStack();
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Json>;
  const bucketId = stack.getLogicalId(stack.archive!.bucket.node.defaultChild as CfnBucket);
  const resultsId = stack.getLogicalId(stack.archive!.resultsBucket.node.defaultChild as CfnBucket);
  const archiverId = logicalIdOf(stack, ARCHIVER_ID);
  const queueId = queueIdOf(stack, ARCHIVER_ID);
  const tables = Object.values(template.findResources('AWS::Glue::Table')).map((t) => t.Properties.TableInput);

  test('the archive bucket: SSE-S3, public access blocked, versioned, access-logged, retained with the stack', () => {
    const bucket = resources[bucketId];
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    expect(bucket.Properties.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.LoggingConfiguration.LogFilePrefix).toBe('archive/');
    expect(bucket.Properties.ObjectLockEnabled).toBeUndefined();
    // No custom resource empties it on deletion.
    expect(Object.values(resources).filter((r) => r.Type === 'Custom::S3AutoDeleteObjects')).toEqual([]);
  });

  test('TLS only: every bucket of the archive denies requests without it', () => {
    for (const id of [bucketId, resultsId]) {
      const [policy] = Object.values(resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy' && r.Properties.Bucket.Ref === id);
      expect(policy!.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  test('lifecycle: to Glacier Instant Retrieval after 90 days, kept forever, old versions gone after a week', () => {
    const [rule] = resources[bucketId].Properties.LifecycleConfiguration.Rules;
    expect(rule).toEqual({
      Prefix: 'callbacks/',
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
      NoncurrentVersionExpiration: { NoncurrentDays: 7 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    });
  });

  test('archiveRetentionDays, archiveColdAfterDays and archiveObjectLockDays shape the lifecycle and the lock', () => {
    const locked = Template.fromStack(buildStack({ archiveRetentionDays: 3650, archiveColdAfterDays: 30, archiveObjectLockDays: 365 }));
    const [bucket] = Object.values(locked.findResources('AWS::S3::Bucket')).filter((b) => b.Properties.VersioningConfiguration);
    expect(bucket!.Properties.LifecycleConfiguration.Rules[0]).toMatchObject({
      ExpirationInDays: 3650,
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
    });
    expect(bucket!.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket!.Properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } },
    });
    expect(() => buildStack({ archiveRetentionDays: 60, archiveColdAfterDays: 90 })).toThrow(/archiveRetentionDays \(60\) must be longer/);
  });

  test("the feed: the table's stream, new events only, batches of 10,000 within 5 minutes, bisection, retries, on-failure queue", () => {
    const [mapping] = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties.FunctionName.Ref === archiverId);
    const p = mapping!.Properties;
    expect(p).toMatchObject({
      BatchSize: 10_000,
      MaximumBatchingWindowInSeconds: 300,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    expect(JSON.parse(p.FilterCriteria.Filters[0].Pattern)).toEqual({ eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'EV#' }] } } } });
  });

  test('the archiver: its bucket by name, 5 minutes per batch; PutObject under callbacks/ only, no read, no delete', () => {
    const fn = resources[archiverId].Properties;
    expect(fn.Timeout).toBe(300);
    expect(fn.Environment.Variables.ARCHIVE_BUCKET).toEqual({ Ref: bucketId });
    expect(fn.Environment.Variables.EVENT_BUS_NAME).toBeUndefined();
    const role = fn.Role['Fn::GetAtt'][0];
    const s3 = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((p) => list<Json>(p.Properties.PolicyDocument.Statement).map((s) => ({ roles: list<Json>(p.Properties.Roles).map((r) => r.Ref), s })))
      .filter(({ s }) => list<string>(s.Action).some((a) => a.startsWith('s3:')));
    expect(s3).toEqual([
      {
        roles: [role],
        s: { Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/callbacks/*']] } },
      },
    ]);
    expect(FUNCTIONS.find((f) => f.id === ARCHIVER_ID)).toMatchObject({ stream: true, table: 'archive-events', routes: [], secrets: [] });
  });

  test('an alarm on the dead-letter queue at one visible message', () => {
    const alarm = Object.values(resources).find((r) => r.Type === 'AWS::CloudWatch::Alarm' && JSON.stringify(r.Properties.Dimensions ?? []).includes(queueId));
    expect(alarm!.Properties).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1, Namespace: 'AWS/SQS' });
    expect(alarm!.Properties.AlarmDescription).toMatch(/could not archive/);
  });

  test('the Glue table: JSON lines, gzip, partition projection on scope (injected) and day (a date range to now)', () => {
    const raw = tables.find((t) => t.Name === 'callbacks_raw');
    expect(raw.TableType).toBe('EXTERNAL_TABLE');
    expect(raw.PartitionKeys).toEqual([
      { Name: 'scope', Type: 'string' },
      { Name: 'day', Type: 'string' },
    ]);
    expect(raw.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.scope.type': 'injected',
      'projection.day.type': 'date',
      'projection.day.range': '2020-01-01,NOW',
      'projection.day.format': 'yyyy-MM-dd',
      compressionType: 'gzip',
    });
    expect(JSON.stringify(raw.Parameters['storage.location.template'])).toContain('/callbacks/scope=${scope}/day=${day}/');
    expect(raw.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(raw.StorageDescriptor.Columns.map((c: Json) => c.Name)).toEqual(VIEW_COLUMNS.slice(2).map((c) => c.toLowerCase()));
  });

  test('the view `callbacks`: the deduplicating SQL, in the Presto encoding Athena reads', () => {
    const view = tables.find((t) => t.Name === 'callbacks');
    expect(view.TableType).toBe('VIRTUAL_VIEW');
    const encoded = /^\/\* Presto View: (.+) \*\/$/.exec(view.ViewOriginalText)![1]!;
    const presto = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    expect(presto.originalSql).toBe(DEDUPE_SQL);
    expect(presto.columns.map((c: Json) => c.name)).toEqual(VIEW_COLUMNS.map((c) => c.toLowerCase()));
    expect(DEDUPE_SQL).toContain('row_number() OVER (PARTITION BY scope, day, device, id ORDER BY receivedOn)');
  });

  test('the workgroup: its settings enforced, a 10 GB scan limit per query, encrypted results in their own expiring bucket', () => {
    const [wg] = Object.values(template.findResources('AWS::Athena::WorkGroup'));
    const config = wg!.Properties.WorkGroupConfiguration;
    expect(config.EnforceWorkGroupConfiguration).toBe(true);
    expect(config.BytesScannedCutoffPerQuery).toBe(10_240 * 1024 * 1024);
    expect(config.ResultConfiguration.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_S3' });
    expect(JSON.stringify(config.ResultConfiguration.OutputLocation)).toContain(resultsId);
    expect(resources[resultsId].Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(7);
    const limited = Template.fromStack(buildStack({ archiveScanLimitMb: 100 }));
    const [small] = Object.values(limited.findResources('AWS::Athena::WorkGroup'));
    expect(small!.Properties.WorkGroupConfiguration.BytesScannedCutoffPerQuery).toBe(100 * 1024 * 1024);
  });

  test('`archive: false`: no archiver, no bucket, no table, no workgroup', () => {
    const off = buildStack({ archive: false });
    const t = Template.fromStack(off);
    expect(off.functions[ARCHIVER_ID]).toBeUndefined();
    expect(off.archive).toBeUndefined();
    for (const type of ['AWS::S3::Bucket', 'AWS::Glue::Table', 'AWS::Athena::WorkGroup']) t.resourceCountIs(type, 0);
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
  });
});
