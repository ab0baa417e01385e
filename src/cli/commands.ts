import type { ParseArgsConfig } from 'node:util';

/** What a command receives. */
export interface CommandInput {
  config: string;
  values: Record<string, unknown>;
  args: string[];
}

/** One `jobdir` verb. */
export interface Command {
  usage: string;
  help: string;
  options?: ParseArgsConfig['options'];
  run(input: CommandInput): Promise<number>;
}

const daemon = () => import('./daemon.js');
const jobs = async (name: string) => (await import('./jobs.js')).jobCommands[name]!;
const daemonVerb = async (name: string) => (await daemon()).daemonCommands[name]!;

/**
 * Every verb, by name, and how to load it: a verb's module is imported when it runs, so
 * `jobdir list` loads the store and not the web server, the backend or the mailer.
 */
const VERBS: Record<string, () => Promise<Command>> = {
  'admin-user': async () => (await import('./admin-user.js')).adminUserCommand,
  submit: async () => (await import('./submit.js')).submitCommand,
  'new-service': async () => (await import('./new-service.js')).newServiceCommand,
  serve: async () => (await daemon()).serveCommand,
  start: () => daemonVerb('start'),
  stop: () => daemonVerb('stop'),
  restart: () => daemonVerb('restart'),
  condstart: () => daemonVerb('condstart'),
  status: () => daemonVerb('status'),
  list: async () => (await import('./list.js')).listCommand,
  show: () => jobs('show'),
  resubmit: () => jobs('resubmit'),
  cancel: () => jobs('cancel'),
  fail: () => jobs('fail'),
  delete: () => jobs('delete'),
  sweep: () => jobs('sweep'),
  'restart-unfinished': () => jobs('restart-unfinished'),
  'check-config': async () => (await import('./check-config.js')).checkConfigCommand,
};

/** The verb `name`, or undefined when there is none. */
export function loadCommand(name: string): Promise<Command> | undefined {
  return Object.hasOwn(VERBS, name) ? VERBS[name]!() : undefined;
}

/** Every verb, in the order `jobdir help` lists them. */
export async function allCommands(): Promise<[string, Command][]> {
  return Promise.all(Object.entries(VERBS).map(async ([n, load]) => [n, await load()] as const));
}
