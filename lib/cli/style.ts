/** Terminal styling: color only when the stream is a TTY, and never when NO_COLOR is set. */
import { styleText } from "node:util";

type Format = Parameters<typeof styleText>[0];

export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  underline(text: string): string;
}

/** @see https://no-color.org/ and FORCE_COLOR as Node and most CLIs read it. */
export function colorEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0";
  return stream.isTTY && env.TERM !== "dumb";
}

export function styleFor(stream: NodeJS.WriteStream): Style {
  const enabled = colorEnabled(stream);
  const apply = (format: Format) => (text: string) => (enabled ? styleText(format, text) : text);
  return {
    enabled,
    bold: apply("bold"),
    dim: apply("dim"),
    red: apply("red"),
    green: apply("green"),
    yellow: apply("yellow"),
    cyan: apply("cyan"),
    underline: apply("underline"),
  };
}
