import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The table client the store's adapters are built with. Modules outside shared/store/ hold one
 * (to build an adapter) but never send a command with it: every command of callback records is
 * written here, under shared/store/.
 */
export type TableClient = DynamoDBDocumentClient;
