import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import { describeBackend, type StateBackendConfig } from "../backend";
import type { LockHolder, LockStatus } from "../lock";
import { parseLockInfo, type TerraformLockInfo } from "../terraform-state";
import { StateAccessError, type StateClient, type StateVersion } from "./client";

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

  /**
   * The state object's versions, newest first, at most `limit` (an unversioned bucket has one,
   * with id "null"). Delete markers are left out, and so are keys that only share the state's key
   * as a prefix (its .tflock lock file). S3 lists a key's versions newest first, before any longer
   * key, so listing stops at the first page that moves past the state's key.
   */
  async listVersions(limit: number): Promise<StateVersion[]> {
    const { client, sdk } = await this.s3Client();
    const { bucket, key } = this.backend;
    try {
      const found: { versionId: string; isLatest: boolean; lastModified?: Date }[] = [];
      let keyMarker: string | undefined;
      let versionIdMarker: string | undefined;
      for (;;) {
        const page = await client.send(
          new sdk.ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, MaxKeys: Math.min(Math.max(limit, 1) * 2, 1000), ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }) }),
        );
        for (const version of page.Versions ?? []) {
          if (version.Key !== key || version.VersionId === undefined) continue;
          found.push({ versionId: version.VersionId, isLatest: version.IsLatest === true, ...(version.LastModified ? { lastModified: version.LastModified } : {}) });
        }
        if (found.length >= limit || page.IsTruncated !== true || page.NextKeyMarker !== key) break;
        keyMarker = page.NextKeyMarker;
        versionIdMarker = page.NextVersionIdMarker;
      }
      return await Promise.all(
        found.slice(0, limit).map(async (version): Promise<StateVersion> => {
          const object = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key, VersionId: version.versionId }));
          return {
            versionId: version.versionId,
            isLatest: version.isLatest,
            ...(version.lastModified ? { lastModified: version.lastModified.toISOString() } : {}),
            text: await object.Body?.transformToString("utf8"),
          };
        }),
      );
    } catch (error) {
      throw new StateAccessError(`cannot list the versions of s3://${bucket}/${key}: ${(error as Error).message}`, { cause: error });
    }
  }

  private async dynamodbClient(): Promise<{ client: DynamoDBClient; sdk: typeof import("@aws-sdk/client-dynamodb") }> {
    const sdk = await import("@aws-sdk/client-dynamodb");
    this.dynamodb ??= new sdk.DynamoDBClient({ region: this.backend.region });
    return { client: this.dynamodb, sdk };
  }

  private get lockItemKey(): { LockID: { S: string } } {
    return { LockID: { S: `${this.backend.bucket}/${this.backend.key}` } };
  }

  private async dynamodbLock(table: string): Promise<TerraformLockInfo | undefined> {
    const { client, sdk } = await this.dynamodbClient();
    try {
      const item = await client.send(new sdk.GetItemCommand({ TableName: table, Key: this.lockItemKey, ConsistentRead: true }));
      const info = item.Item?.Info?.S;
      return info === undefined ? undefined : parseLockInfo(info);
    } catch (error) {
      throw new StateAccessError(`cannot read the lock table ${table}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Every lock record the backend keeps. With use_lockfile and a DynamoDB table both set,
   * Terraform takes both under one id, and both must go for it to run again.
   */
  private async lockRecords(): Promise<{ lockfile?: TerraformLockInfo; dynamodb?: TerraformLockInfo }> {
    const lockfileText = this.backend.useLockfile ? await this.getText(`${this.backend.key}.tflock`) : undefined;
    const lockfile = lockfileText === undefined ? undefined : parseLockInfo(lockfileText);
    const dynamodb = this.backend.dynamodbTable === undefined ? undefined : await this.dynamodbLock(this.backend.dynamodbTable);
    return { ...(lockfile ? { lockfile } : {}), ...(dynamodb ? { dynamodb } : {}) };
  }

  async lockStatus(): Promise<LockStatus> {
    const { lockfile, dynamodb } = await this.lockRecords();
    const where = [
      ...(lockfile ? [`s3://${this.backend.bucket}/${this.backend.key}.tflock`] : []),
      ...(dynamodb ? [`DynamoDB ${this.backend.dynamodbTable ?? ""}`] : []),
    ].join(" and ");
    const info = lockfile ?? dynamodb;
    if (!info) return { backend: this.description, locked: false };
    return { backend: this.description, locked: true, holder: holderOf(info, where) };
  }

  async unlock(lockId: string): Promise<string> {
    const { lockfile, dynamodb } = await this.lockRecords();
    const held = [lockfile, dynamodb].filter((record): record is TerraformLockInfo => record !== undefined);
    if (held.length === 0) throw new StateAccessError("the state is not locked");
    const other = held.find((record) => record.ID !== lockId);
    if (other) throw new StateAccessError(`the lock is held under id ${other.ID}, not ${lockId}`);
    const done: string[] = [];
    try {
      if (lockfile) {
        const { client, sdk } = await this.s3Client();
        await client.send(new sdk.DeleteObjectCommand({ Bucket: this.backend.bucket, Key: `${this.backend.key}.tflock` }));
        done.push(`deleted s3://${this.backend.bucket}/${this.backend.key}.tflock`);
      }
      if (dynamodb && this.backend.dynamodbTable !== undefined) {
        const { client, sdk } = await this.dynamodbClient();
        await client.send(new sdk.DeleteItemCommand({ TableName: this.backend.dynamodbTable, Key: this.lockItemKey }));
        done.push(`deleted the lock item from ${this.backend.dynamodbTable}`);
      }
    } catch (error) {
      const sofar = done.length === 0 ? "nothing was released" : `already ${done.join("; ")}`;
      throw new StateAccessError(`cannot release the lock (${sofar}): ${(error as Error).message}`, { cause: error });
    }
    return done.join("; ");
  }

  close(): Promise<void> {
    this.s3?.destroy();
    this.dynamodb?.destroy();
    return Promise.resolve();
  }
}
