/**
 * A test double of AWS Secrets Manager (these machines cannot reach AWS): an HTTP server on
 * loopback that speaks the service's JSON protocol for the calls k2 makes, so that the real AWS
 * SDK client is exercised end to end. Point the SDK at it with AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface StoredSecret {
  readonly name: string;
  readonly value: string;
  readonly description: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly arn: string;
  /** The current version's ID (AWSCURRENT); PutSecretValue makes a new one. */
  readonly versionId: string;
}

export interface FakeSecretsManager {
  readonly endpoint: string;
  readonly secrets: Map<string, StoredSecret>;
  /** Every call, as its X-Amz-Target operation name. */
  readonly calls: string[];
  close(): Promise<void>;
}

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 8).padEnd(6, "x");
}

export async function startFakeSecretsManager(region = "us-west-2"): Promise<FakeSecretsManager> {
  const secrets = new Map<string, StoredSecret>();
  const calls: string[] = [];
  interface Request {
    readonly SecretId?: string;
    readonly Name?: string;
    readonly SecretString?: string;
    readonly Description?: string;
    readonly Tags?: readonly { Key: string; Value: string }[];
    readonly ClientRequestToken?: string;
  }
  type Reply = readonly [status: number, payload: unknown];
  const notFound: Reply = [400, { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." }];

  function handle(operation: string, input: Request): Reply {
    switch (operation) {
      case "DescribeSecret": {
        const secret = secrets.get(input.SecretId ?? "");
        return secret ? [200, { ARN: secret.arn, Name: secret.name, Description: secret.description }] : notFound;
      }
      case "CreateSecret": {
        const name = input.Name ?? "";
        if (secrets.has(name)) return [400, { __type: "ResourceExistsException", message: `The operation failed because the secret ${name} already exists.` }];
        const tags = Object.fromEntries((input.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
        const arn = `arn:aws:secretsmanager:${region}:111122223333:secret:${name}-${randomSuffix()}`;
        secrets.set(name, { name, value: input.SecretString ?? "", description: input.Description ?? "", tags, arn, versionId: "00000000-0000-0000-0000-000000000001" });
        return [200, { ARN: arn, Name: name, VersionId: "00000000-0000-0000-0000-000000000001" }];
      }
      case "GetSecretValue": {
        const secret = secrets.get(input.SecretId ?? "");
        return secret ? [200, { ARN: secret.arn, Name: secret.name, SecretString: secret.value, VersionId: secret.versionId }] : notFound;
      }
      case "PutSecretValue": {
        const secret = secrets.get(input.SecretId ?? "");
        if (!secret) return notFound;
        // The request token is the version's ID: the same token with another value is refused, as AWS does.
        const versionId = input.ClientRequestToken ?? randomSuffix();
        if (versionId === secret.versionId && input.SecretString !== secret.value) {
          return [400, { __type: "ResourceExistsException", message: "You can't modify an existing version, you can only create a new version." }];
        }
        secrets.set(secret.name, { ...secret, value: input.SecretString ?? "", versionId });
        return [200, { ARN: secret.arn, Name: secret.name, VersionId: versionId }];
      }
      default:
        return [400, { __type: "InvalidRequestException", message: `the test double does not implement ${operation}` }];
    }
  }

  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      const operation = String(request.headers["x-amz-target"] ?? "").replace("secretsmanager.", "");
      calls.push(operation);
      // The SDK signs every request; a missing signature means it had no credentials.
      const signed = (request.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256");
      const [status, payload] = signed ? handle(operation, JSON.parse(body || "{}") as Request) : [400, { __type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" }];
      response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
      response.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    secrets,
    calls,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
