/** Where secrets live. AWS Secrets Manager for AWS clusters; tests use the same client against a local double. */
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

export interface SecretStore {
  /** For messages: "AWS Secrets Manager in us-west-2". */
  readonly description: string;
  exists(name: string): Promise<boolean>;
  create(name: string, value: string, description: string, tags: Readonly<Record<string, string>>): Promise<void>;
  /** The secret's current value, and a version token for `update`. */
  read(name: string): Promise<{ value: string; version: string }>;
  /** A new value for a secret that exists, refused if it changed since `read` gave `version`. */
  update(name: string, value: string, version: string): Promise<void>;
}

/**
 * AWS Secrets Manager through the AWS SDK's default credentials (environment, profile, SSO,
 * instance role). AWS_ENDPOINT_URL_SECRETS_MANAGER points it elsewhere (a local double, LocalStack).
 */
export class AwsSecretsManagerStore implements SecretStore {
  readonly description: string;
  private client?: SecretsManagerClient;

  constructor(private readonly region: string) {
    this.description = `AWS Secrets Manager in ${region}`;
  }

  private async sdk(): Promise<typeof import("@aws-sdk/client-secrets-manager")> {
    return import("@aws-sdk/client-secrets-manager");
  }

  private async connect(): Promise<SecretsManagerClient> {
    if (!this.client) {
      const { SecretsManagerClient: Client } = await this.sdk();
      this.client = new Client({ region: this.region });
    }
    return this.client;
  }

  async exists(name: string): Promise<boolean> {
    const { DescribeSecretCommand, ResourceNotFoundException } = await this.sdk();
    try {
      await (await this.connect()).send(new DescribeSecretCommand({ SecretId: name }));
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return false;
      throw error;
    }
  }

  async read(name: string): Promise<{ value: string; version: string }> {
    const { GetSecretValueCommand } = await this.sdk();
    const answer = await (await this.connect()).send(new GetSecretValueCommand({ SecretId: name }));
    return { value: answer.SecretString ?? "", version: answer.VersionId ?? "" };
  }

  /**
   * Secrets Manager has no conditional write; the new version is written with a token derived from
   * the one read, so that two runs from the same read write one version, not two (its idempotency).
   */
  async update(name: string, value: string, version: string): Promise<void> {
    const { PutSecretValueCommand } = await this.sdk();
    const { createHash } = await import("node:crypto");
    const token = createHash("sha256").update(`${version}\n${value}`).digest("hex").slice(0, 64);
    await (await this.connect()).send(new PutSecretValueCommand({ SecretId: name, SecretString: value, ClientRequestToken: token }));
  }

  async create(name: string, value: string, description: string, tags: Readonly<Record<string, string>>): Promise<void> {
    const { CreateSecretCommand } = await this.sdk();
    await (await this.connect()).send(
      new CreateSecretCommand({ Name: name, SecretString: value, Description: description, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
    );
  }
}
