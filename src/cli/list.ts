/** `jobdir list`: a module of its own, light to load (no service module, backend or web). */
import { loadConfig } from '../config/index.js';
import { DEFAULT_LIST_STATES, formatAge, listJobs } from '../ops/list.js';
import { ALL_STATES, isState, type State } from '../states.js';
import { openStore } from '../store/index.js';
import type { Command } from './commands.js';

const out = (s: string) => void process.stdout.write(s + '\n');
const err = (s: string) => void process.stderr.write(s + '\n');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `jobdir list [STATE…]`. */
export const listCommand: Command = {
  usage: '[STATE…]',
  help: `a table of jobs (default: every state but completed and archived); states: ${ALL_STATES.join(', ')}`,
  async run({ config, args }) {
    const bad = args.filter((a) => !isState(a));
    if (bad.length) {
      err(
        `jobdir list: unknown state${bad.length > 1 ? 's' : ''} ${bad.map((b) => `"${b}"`).join(', ')}; the states are: ${ALL_STATES.join(', ')}.`,
      );
      return 2;
    }
    const env = { store: await openStore(loadConfig(config)) };
    const rows = await listJobs(env, args.length ? (args as State[]) : DEFAULT_LIST_STATES);
    if (rows.length === 0) {
      out(`No jobs in ${args.length ? args.join(', ') : DEFAULT_LIST_STATES.join(', ')}.`);
      return 0;
    }
    out(
      table([
        ['ID', 'STATE', 'TYPE', 'EMAIL', 'SUBMITTED', 'AGE', 'FAILURE'],
        ...rows.map((r) => [
          r.id,
          r.state,
          r.type,
          r.email || '-',
          r.submitted.slice(0, 19).replace('T', ' '),
          formatAge(r.ageMs),
          r.failure.replace(/\s+/g, ' ').slice(0, 70),
        ]),
      ]),
    );
    return 0;
  },
};
