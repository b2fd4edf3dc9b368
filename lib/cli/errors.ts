/** Exit codes shared by every `k2` command. Documented in each command's --help and docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** The input is understood and something is wrong with it (invalid spec, ...). */
  problems: 1,
  /** The command cannot run as asked: bad options, missing or unreadable files, broken YAML. */
  usage: 2,
  /** A bug in k2 itself. */
  internal: 70,
} as const;

/** An error whose message is meant for the user as is: printed in one line, no stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = "UserError";
  }
}
