/**
 * Scripts as machines receive them: without their comment lines. The comments explain the code
 * to its readers here (lib/bootstrap); on the machine they only cost user data, which EC2 caps at
 * 16 KiB, and the control plane's is the largest. What a script does and prints is unchanged.
 */

/** `<<WORD`, `<<'WORD'`, `<<"WORD"`, `<<-WORD` (not the here-string `<<<`). */
const HEREDOC = /<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

/**
 * `script` without the lines that hold only a comment (`#` after optional blanks). Kept: the
 * shebang, shellcheck directives (`# shellcheck ...`, which tests check the shipped scripts with)
 * and every line of a here-document's body, which is data, not code.
 */
export function withoutCommentLines(script: string): string {
  const lines = script.split("\n");
  const kept: string[] = [];
  const pending: { word: string; tabs: boolean }[] = [];
  for (const [index, line] of lines.entries()) {
    const body = pending[0];
    if (body) {
      kept.push(line);
      if ((body.tabs ? line.replace(/^\t+/, "") : line) === body.word) pending.shift();
      continue;
    }
    const trimmed = line.trimStart();
    const comment = trimmed.startsWith("#") && !(index === 0 && trimmed.startsWith("#!")) && !/^#\s*shellcheck\s/.test(trimmed);
    if (comment) continue;
    kept.push(line);
    for (const match of line.matchAll(HEREDOC)) {
      if (line[match.index - 1] === "<") continue;
      pending.push({ word: match[3]!, tabs: match[1] === "-" });
    }
  }
  return kept.join("\n");
}
