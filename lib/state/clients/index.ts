import type { StateBackendConfig } from "../backend";
import type { StateClient } from "./client";
import { KubernetesStateClient } from "./kubernetes";
import { LocalStateClient } from "./local";
import { PgStateClient } from "./pg";
import { S3StateClient } from "./s3";

export { StateAccessError, type StateClient, type StateVersion } from "./client";

/** The client for a cluster's backend. Remote clients connect on first use, and load their SDK then. */
export function stateClient(backend: StateBackendConfig, env: NodeJS.ProcessEnv = process.env): StateClient {
  switch (backend.type) {
    case "local":
      return new LocalStateClient(backend);
    case "pg":
      return new PgStateClient(backend, env);
    case "s3":
      return new S3StateClient(backend);
    case "kubernetes":
      return new KubernetesStateClient(backend);
  }
}
