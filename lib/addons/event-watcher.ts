/**
 * An event watcher, as both event exporters run: a ServiceAccount that may only read Events
 * (a ClusterRole and its binding), and one replica (Recreate: two would handle every event twice
 * while a rolling update lasts) of a non-root, read-only container with /metrics probes.
 * Monitoring's exporter counts Warning events for Prometheus; logging's writes every event as a
 * log record.
 */

export interface EventWatcher {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** API groups whose `events` it reads: "" (core), and "events.k8s.io" for the newer API. */
  readonly eventApiGroups: readonly string[];
  readonly serviceAccount?: Readonly<Record<string, unknown>>;
  readonly container: {
    readonly name: string;
    readonly image: string;
    readonly args: readonly string[];
    readonly port: { readonly name: string; readonly number: number };
    readonly memoryRequest: string;
    readonly volumeMounts: readonly Readonly<Record<string, unknown>>[];
  };
  readonly volumes: readonly Readonly<Record<string, unknown>>[];
}

/** ServiceAccount, ClusterRole, ClusterRoleBinding and Deployment of `watcher`, in that order. */
export function eventWatcherObjects(watcher: EventWatcher): Record<string, unknown>[] {
  const { name, namespace, labels, container } = watcher;
  const metadata = { name, namespace, labels };
  const clusterRoleName = `kraken:${name}`;
  const probe = { httpGet: { path: "/metrics", port: container.port.name }, periodSeconds: 30 };
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata, ...watcher.serviceAccount },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: clusterRoleName, labels },
      rules: [{ apiGroups: [...watcher.eventApiGroups], resources: ["events"], verbs: ["get", "list", "watch"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: clusterRoleName, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRoleName },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata,
      spec: {
        replicas: 1,
        strategy: { type: "Recreate" },
        selector: { matchLabels: { "app.kubernetes.io/name": name } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            nodeSelector: { "kubernetes.io/os": "linux" },
            securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: container.name,
                image: container.image,
                imagePullPolicy: "IfNotPresent",
                args: [...container.args],
                ports: [{ name: container.port.name, containerPort: container.port.number, protocol: "TCP" }],
                readinessProbe: probe,
                livenessProbe: { ...probe, failureThreshold: 5 },
                resources: { requests: { cpu: "10m", memory: container.memoryRequest }, limits: { cpu: "200m", memory: "128Mi" } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                volumeMounts: [...container.volumeMounts],
              },
            ],
            volumes: [...watcher.volumes],
          },
        },
      },
    },
  ];
}
