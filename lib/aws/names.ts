/** AWS resource names within AWS's length limits, stable across synths. */
import { createHash } from "node:crypto";

/** Load balancer and target group names: at most 32 characters. */
export const LOAD_BALANCER_NAME_MAX = 32;
/** IAM role names: at most 64 characters. */
export const IAM_ROLE_NAME_MAX = 64;

/**
 * Joins `parts` with "-"; when longer than `max`, keeps the start and the last part and puts a
 * short hash of the full name between them, so that different long names stay different.
 */
export function awsName(parts: readonly string[], max: number): string {
  const full = parts.join("-");
  if (full.length <= max) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 6);
  const last = parts[parts.length - 1] ?? "";
  const room = max - hash.length - last.length - 2;
  if (room < 1) return `${full.slice(0, max - hash.length - 1)}-${hash}`;
  return `${full.slice(0, room).replace(/-+$/, "")}-${hash}-${last}`;
}

/** The AWS partition of a region: aws, aws-cn or aws-us-gov. */
export function awsPartition(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}
