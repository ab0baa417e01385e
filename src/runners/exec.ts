import { execFile } from 'node:child_process';

/** What a cluster command printed and how it exited. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a cluster client (sbatch, squeue, qsub, …) without a shell: argv is data. Never
 * rejects for a non-zero exit (the caller reads `code`); rejects only when the command
 * cannot be run at all (not installed) or exceeds `timeoutMs`.
 */
export function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && (typeof err.code !== 'number' || err.killed)) {
          reject(new Error(`${cmd} could not be run: ${err.message}`, { cause: err }));
          return;
        }
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** Split a raw options string like a shell splits words and quotes ('…', "…", \x), with no expansions. */
export function splitOptions(raw: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    const escaped = ch === '\\' && quote !== "'" && i + 1 < raw.length;
    if (escaped) {
      word += raw[++i]!;
      inWord = true;
    } else if (quote) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else {
      inWord = true;
      if (ch === "'" || ch === '"') quote = ch;
      else word += ch;
    }
  }
  if (quote) throw new Error(`runner option options has an unclosed ${quote}`);
  if (inWord) out.push(word);
  return out;
}

/** A positive whole number from a runner option, or null when absent; throws a clear error otherwise. */
export function positiveInt(opts: Record<string, string>, key: string): number | null {
  const v = opts[key];
  if (v === undefined || v === '') return null;
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1)
    throw new Error(`runner option ${key} must be a whole number ≥ 1, not "${v}"`);
  return Number(v);
}
