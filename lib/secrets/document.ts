/** The shape of a secret's value: files to write on the machine, and values for its scripts. */

export interface SecretFile {
  readonly path: string;
  /** Octal, as a string: "0600". */
  readonly mode: string;
  readonly content: string;
  /** Only written on this etcd member (by name); absent means every reader writes it. */
  readonly member?: string;
}

export interface SecretDocument {
  readonly files: readonly SecretFile[];
  /** UPPER_SNAKE_CASE names; bootstrap scripts read them as shell variables. */
  readonly values: Readonly<Record<string, string>>;
}

export function serializeSecretDocument(document: SecretDocument): string {
  for (const key of Object.keys(document.values)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(key)) throw new Error(`secret value name ${JSON.stringify(key)} must be UPPER_SNAKE_CASE`);
    if (/['\n]/.test(document.values[key]!)) throw new Error(`secret value ${key} must not contain quotes or newlines`);
  }
  return JSON.stringify(document);
}
