import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import { describeBackend, type StateBackendConfig } from "../backend";
import type { LockHolder, LockStatus } from "../lock";
import { parseLockInfo, type TerraformLockInfo } from "../terraform-state";
import { StateAccessError, type StateClient } from "./client";

type S3Backend = Extract<StateBackendConfig, { type: "s3" }>;

function holderOf(info: TerraformLockInfo, where: string): LockHolder {
  return {
    id: info.ID,
    ...(info.Who === undefined ? {} : { who: info.Who }),
    ...(info.Operation === undefined ? {} : { operation: info.Operation }),
    ...(info.Created === undefined ? {} : { since: info.Created }),
    ...(info.Version === undefined ? {} : { terraformVersion: info.Version }),
    details: { "lock record": where, ...(info.Info ? { info: info.Info } : {}) },
  };
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === "NoSuchKey" || name === "NotFound";
}

/**
 * The s3 backend, through the AWS SDK's usual credentials: the state object, and the lock as
 * Terraform keeps it: an S3 lock file (<key>.tflock, use_lockfile) and, in older setups, a
 * DynamoDB item (LockID <bucket>/<key>). Both hold Terraform's lock record.
 */
export class S3StateClient implements StateClient {
  readonly description: string;
  private s3?: S3Client;
  private dynamodb?: DynamoDBClient;

  constructor(private readonly backend: S3Backend) {
    this.description = describeBackend(backend);
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  }

  private async s3Client(): Promise<{ client: S3Client; sdk: typeof import("@aws-sdk/client-s3") }> {
    const sdk = await import("@aws-sdk/client-s3");
    this.s3 ??= new sdk.S3Client({ region: this.backend.region });
    return { client: this.s3, sdk };
  }

  private async getText(key: string): Promise<string | undefined> {
    const { client, sdk } = await this.s3Client();
    try {
      const object = await client.send(new sdk.GetObjectCommand({ Bucket: this.backend.bucket, Key: key }));
      return await object.Body?.transformToString("utf8");
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw new StateAccessError(`cannot read s3://${this.backend.bucket}/${key}: ${(error as Error).message}`, { cause: error });
    }
  }

  readState(): Promise<string | undefined> {
    return this.getText(this.backend.key);
  }

  private async dynamodbLock(): Promise<TerraformLockInfo | undefined> {
    if (this.backend.dynamodbTable === undefined) return undefined;
    const sdk = await import("@aws-sdk/client-dynamodb");
    this.dynamodb ??= new sdk.DynamoDBClient({ region: this.backend.region });
    try {
      const item = await this.dynamodb.send(
        new sdk.GetItemCommand({ TableName: this.backend.dynamodbTable, Key: { LockID: { S: `${this.backend.bucket}/${this.backend.key}` } }, ConsistentRead: true }),
      );
      const info = item.Item?.Info?.S;
      return info === undefined ? undefined : parseLockInfo(info);
    } catch (error) {
      throw new StateAccessError(`cannot read the lock table ${this.backend.dynamodbTable}: ${(error as Error).message}`, { cause: error });
    }
  }

  async lockStatus(): Promise<LockStatus> {
    if (this.backend.useLockfile) {
      const text = await this.getText(`${this.backend.key}.tflock`);
      const info = text === undefined ? undefined : parseLockInfo(text);
      if (info) return { backend: this.description, locked: true, holder: holderOf(info, `s3://${this.backend.bucket}/${this.backend.key}.tflock`) };
    }
    const info = await this.dynamodbLock();
    if (info) return { backend: this.description, locked: true, holder: holderOf(info, `DynamoDB ${this.backend.dynamodbTable ?? ""}`) };
    return { backend: this.description, locked: false };
  }

  async unlock(lockId: string): Promise<string> {
    const status = await this.lockStatus();
    if (!status.holder) throw new StateAccessError("the state is not locked");
    if (status.holder.id !== lockId) throw new StateAccessError(`the lock is held under id ${status.holder.id}, not ${lockId}`);
    const done: string[] = [];
    if (this.backend.useLockfile) {
      const { client, sdk } = await this.s3Client();
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.backend.bucket, Key: `${this.backend.key}.tflock` }));
      done.push(`deleted s3://${this.backend.bucket}/${this.backend.key}.tflock`);
    }
    if (this.backend.dynamodbTable !== undefined && this.dynamodb) {
      const sdk = await import("@aws-sdk/client-dynamodb");
      await this.dynamodb.send(
        new sdk.DeleteItemCommand({ TableName: this.backend.dynamodbTable, Key: { LockID: { S: `${this.backend.bucket}/${this.backend.key}` } } }),
      );
      done.push(`deleted the lock item from ${this.backend.dynamodbTable}`);
    }
    return done.join("; ");
  }

  close(): Promise<void> {
    this.s3?.destroy();
    this.dynamodb?.destroy();
    return Promise.resolve();
  }
}
