import { fileURLToPath } from 'node:url';
import { field, type JobType } from 'jobdir';

const program = fileURLToPath(new URL('./greet', import.meta.url));

/**
 * The demo's second job type, after greeter-app: greets a name slowly, one step per
 * `[service] greet_delay` seconds, with a progress bar; `[job greet] time_limit` stops it.
 */
export const greet: JobType = {
  name: 'greet',
  title: 'Greet someone, slowly',
  description:
    'Each step takes a moment and moves the progress bar; a job that needs longer than the time limit is stopped.',
  fields: {
    name: field.string({ label: 'Name', maxLength: 40 }),
    steps: field.integer({
      label: 'Steps',
      min: 1,
      max: 100,
      default: 5,
      help: 'One step per second; more steps than the time limit allows are stopped.',
    }),
  },
  example: { name: 'Ada', steps: '3' },
  run: ({ inputs, config }) => [
    program,
    inputs.name!,
    inputs.steps!,
    config.ini.service?.greet_delay ?? '1',
  ],
  downloads: ['stdout.txt'],
  render: ({ stdout }) => stdout.trim(),
};
