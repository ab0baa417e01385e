import { fileURLToPath } from 'node:url';
import { defineService, field } from 'jobdir';
import { greet } from './greet.js';

const program = fileURLToPath(new URL('./slow_div', import.meta.url));

/** The demo: slow division, as in Dalke's job-management recipe, and greet (greet.ts). */
export default defineService({
  name: 'slowdiv',
  title: 'Slow division',
  description: 'Programs that take their time, like long-running scientific ones.',
  email: 'optional',
  jobTypes: [
    {
      name: 'divide',
      title: 'Divide x by y',
      fields: {
        x: field.integer({ label: 'x (dividend)' }),
        y: field.integer({ label: 'y (divisor)' }),
      },
      example: { x: '355', y: '113' },
      run: ({ inputs, config }) => [
        program,
        inputs.x!,
        inputs.y!,
        config.ini.service?.sleep_seconds ?? '30',
      ],
      downloads: ['stdout.txt', 'stderr.txt'],
      render: ({ inputs, stdout }) =>
        `${inputs.x} / ${inputs.y} = ${/answer is: (\S+)/.exec(stdout)?.[1] ?? '?'}`,
    },
    greet,
  ],
});
