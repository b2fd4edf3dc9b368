import { gzipSync } from "node:zlib";
import { Fn } from "cdktf";

/**
 * Long text for Terraform (user data) that may hold references to other resources (cdktf
 * tokens). Terraform would read a literal "${", "%{" or backslash in it as template syntax, so
 * literal parts travel base64-encoded and Terraform decodes them: join("", [base64decode("..."),
 * aws_lb.api.dns_name, base64decode("...")]). Text without references or template syntax stays plain.
 */
const TOKEN_MARKER = /\$\{TfToken\[[^\]]*\]\}/g;

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

export function terraformText(text: string): string {
  const parts: string[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN_MARKER)) {
    if (match.index > last) parts.push(Fn.base64decode(base64(text.slice(last, match.index))));
    parts.push(match[0]);
    last = match.index + match[0].length;
  }
  // Without references, text is plain unless it holds template syntax of its own.
  if (parts.length === 0) return /[$%]\{/.test(text) ? Fn.base64decode(base64(text)) : text;
  if (last < text.length) parts.push(Fn.base64decode(base64(text.slice(last))));
  return Fn.join("", parts);
}

/**
 * The same text gzipped and base64-encoded, for user data fields that take base64: cloud-init
 * unpacks gzip itself, and compression keeps large bootstrap configs far under EC2's 16 KiB.
 */
export function terraformGzipBase64Text(text: string): string {
  // Without references the whole value is known now: compress it here; base64 is inert to Terraform.
  if (!hasReferences(text)) return gzipSync(text, { level: 9 }).toString("base64");
  return Fn.base64gzip(terraformText(text));
}

function hasReferences(text: string): boolean {
  return text.search(TOKEN_MARKER) >= 0;
}
