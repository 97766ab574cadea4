import { Aws, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARCHIVE_PREFIX } from '../shared/archive/objects';
import { DATA_COLUMNS, DEDUPE_SQL, PARTITION_COLUMNS, RAW_TABLE, VIEW, VIEW_COLUMNS } from '../shared/archive/sql';
import type { GatewaySettings } from './settings';

export type ArchiveSettings = Pick<GatewaySettings, 'archiveRetentionDays' | 'archiveColdAfterDays' | 'archiveObjectLockDays' | 'archiveScanLimitMb'>;

/** Days Athena keeps query results: a result is read once, right after its query. */
const RESULTS_DAYS = 7;

/**
 * The archive: the bucket the archiver writes every stored callback to (gzipped JSON lines under
 * `callbacks/scope=…/day=…/`, shared/archive/objects.ts), the Glue table over it (partition
 * projection: no crawler, a new scope or day is queryable at once), the deduplicating view
 * `callbacks`, and an Athena workgroup with its own results bucket and a per-query scan limit.
 */
export class CallbackArchive extends Construct {
  readonly bucket: s3.Bucket;
  readonly resultsBucket: s3.Bucket;
  readonly database: string;
  readonly workGroup: athena.CfnWorkGroup;

  constructor(scope: Construct, id: string, settings: ArchiveSettings) {
    super(scope, id);
    const { archiveRetentionDays: keep, archiveColdAfterDays: cold, archiveObjectLockDays: lock } = settings;
    if (keep > 0 && cold > 0 && keep <= cold) throw new Error(`Context archiveRetentionDays (${keep}) must be longer than archiveColdAfterDays (${cold})`);
    if (keep > 0 && lock > keep) throw new Error(`Context archiveObjectLockDays (${lock}) cannot be longer than archiveRetentionDays (${keep})`);

    const logs = secureBucket(this, 'AccessLogs', {
      lifecycleRules: [{ expiration: Duration.days(365) }],
    });

    this.bucket = secureBucket(this, 'Bucket', {
      // An overwritten or deleted object keeps its previous version (the archive is the only copy
      // past the table's retention); Object Lock, when asked for, makes even that impossible for its days.
      versioned: true,
      ...(lock > 0 ? { objectLockEnabled: true, objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(lock)) } : {}),
      lifecycleRules: [
        {
          prefix: ARCHIVE_PREFIX,
          // Instant Retrieval: a fifth of Standard's storage price, still read in milliseconds by Athena.
          ...(cold > 0 ? { transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(cold) }] } : {}),
          ...(keep > 0 ? { expiration: Duration.days(keep) } : {}),
          // A rewritten object (a retried batch) leaves a version nobody reads: kept a week, then gone.
          noncurrentVersionExpiration: Duration.days(7),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    this.resultsBucket = secureBucket(this, 'QueryResults', {
      lifecycleRules: [{ expiration: Duration.days(RESULTS_DAYS) }],
    });

    logInto(logs, this.bucket, 'archive/');
    logInto(logs, this.resultsBucket, 'results/');

    this.database = `${Stack.of(this)
      .stackName.toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')}_archive`;
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: this.database, description: 'Every callback the IoT callback gateway stored, archived (see docs/archive.md)' },
    });
    const raw = rawTable(this, this.database, this.bucket);
    raw.addResourceDependency(database);
    const view = dedupeView(this, this.database);
    view.addResourceDependency(raw);

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `${Stack.of(this).stackName}-archive`,
      description: 'Queries of the IoT callback gateway archive, each scan capped',
      // Without it, deleting the stack fails on a workgroup that ran queries.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // Every query runs with these settings, whatever its client asks: the cap cannot be lifted per query.
        enforceWorkGroupConfiguration: true,
        bytesScannedCutoffPerQuery: settings.archiveScanLimitMb * 1024 * 1024,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: this.resultsBucket.s3UrlForObject('athena/'),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    new CfnOutput(Stack.of(this), 'ArchiveBucketName', { value: this.bucket.bucketName });
    new CfnOutput(Stack.of(this), 'ArchiveDatabase', { value: this.database });
    new CfnOutput(Stack.of(this), 'ArchiveWorkGroup', { value: this.workGroup.name });
  }
}

/**
 * Server access logs of `bucket` into `logs`, allowed by a bucket policy (the logging service
 * principal, for this source bucket and account only) rather than the log-delivery ACL, which a
 * bucket with ACLs disabled refuses.
 */
function logInto(logs: s3.Bucket, bucket: s3.Bucket, prefix: string): void {
  (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = { destinationBucketName: logs.bucketName, logFilePrefix: prefix };
  logs.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [logs.arnForObjects(`${prefix}*`)],
      conditions: { ArnLike: { 'aws:SourceArn': bucket.bucketArn }, StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  );
}

/** A bucket of the archive: encrypted (SSE-S3), no public access, TLS only, kept when the stack is deleted. */
function secureBucket(scope: Construct, id: string, props: s3.BucketProps): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    // The archive outlives the table's retention: never deleted with the stack (nor are its logs or results).
    removalPolicy: RemovalPolicy.RETAIN,
    autoDeleteObjects: false,
    ...props,
  });
}

/**
 * `callbacks_raw`: the objects as written. Partition projection computes the partitions from the
 * query's own `scope = …` and `day` range (scope `injected`: a query must name its scope; day a date
 * range from 2020 to now), so no crawler runs and nothing is registered per partition.
 */
function rawTable(scope: Construct, database: string, bucket: s3.IBucket): glue.CfnTable {
  const location = `s3://${bucket.bucketName}/${ARCHIVE_PREFIX}`;
  return new glue.CfnTable(scope, 'RawTable', {
    catalogId: Aws.ACCOUNT_ID,
    databaseName: database,
    tableInput: {
      name: RAW_TABLE,
      description: 'Archived callbacks, every copy written (query the view `callbacks` for one row per callback)',
      tableType: 'EXTERNAL_TABLE',
      partitionKeys: PARTITION_COLUMNS.map((name) => ({ name: name.toLowerCase(), type: 'string' })),
      parameters: {
        classification: 'json',
        compressionType: 'gzip',
        'projection.enabled': 'true',
        'projection.scope.type': 'injected',
        'projection.day.type': 'date',
        'projection.day.range': '2020-01-01,NOW',
        'projection.day.format': 'yyyy-MM-dd',
        'projection.day.interval': '1',
        'projection.day.interval.unit': 'DAYS',
        'storage.location.template': `${location}scope=\${scope}/day=\${day}/`,
      },
      storageDescriptor: {
        location,
        columns: DATA_COLUMNS.map((name) => ({ name: name.toLowerCase(), type: 'string' })),
        inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        compressed: true,
        // The line's keys are camelCase; Hive's column names are lower case: the SerDe matches them case-insensitively.
        serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'case.insensitive': 'TRUE' } },
      },
    },
  });
}

/**
 * `callbacks`: the raw table without duplicates (DEDUPE_SQL, the same text DuckDB runs locally). An
 * Athena view in Glue is its SQL and columns in Presto's encoding (base64 JSON in a comment), which
 * Athena reads as if `CREATE VIEW` had made it.
 */
function dedupeView(scope: Construct, database: string): glue.CfnTable {
  const columns = VIEW_COLUMNS.map((name) => name.toLowerCase());
  const presto = { originalSql: DEDUPE_SQL, catalog: 'awsdatacatalog', schema: database, columns: columns.map((name) => ({ name, type: 'varchar' })) };
  return new glue.CfnTable(scope, 'View', {
    catalogId: Aws.ACCOUNT_ID,
    databaseName: database,
    tableInput: {
      name: VIEW,
      description: 'Archived callbacks, one row per callback and device (duplicates removed)',
      tableType: 'VIRTUAL_VIEW',
      parameters: { presto_view: 'true', comment: 'Presto View' },
      viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(presto)).toString('base64')} */`,
      viewExpandedText: '/* Presto View */',
      storageDescriptor: { columns: columns.map((name) => ({ name, type: 'string' })), serdeInfo: {} },
    },
  });
}
