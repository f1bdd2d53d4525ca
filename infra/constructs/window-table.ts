/**
 * The window table (windows, checkpoints, side outputs), from the shared
 * definition in core/projections/table.ts: on demand, PITR, TTL, deletion protection.
 */
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { WINDOW_TABLE } from '#core/projections/table.js';
import { SECURE_TABLE } from '#infra/defaults.js';

/** Props of {@link WindowTable}. */
export interface WindowTableProps {
  tableName: string;
}

/** The DynamoDB table of the hot path. */
export class WindowTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: WindowTableProps) {
    super(scope, id);
    const { partitionKey, sortKey, ttlAttribute } = WINDOW_TABLE;
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: ttlAttribute,
      ...SECURE_TABLE,
    });
    // No secondary index: the fleet over time is read from the table's own keys (table.ts);
    // an index would bill a second write for every window write.
  }

  /**
   * Exactly what the hot path does: read-modify-write items, batch side outputs, query
   * checkpoints, on the table only.
   */
  grantProjectionWrite(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query'],
      resourceArns: [this.table.tableArn],
    });
  }

  /** What the read API needs: queries and key reads on the table. */
  grantRead(grantee: iam.IGrantable): void {
    this.table.grant(grantee, 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem');
  }
}
