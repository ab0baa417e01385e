import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SubmitPlan } from '../src/runners/cluster.js';
import { splitOptions } from '../src/runners/exec.js';
import { qsubArgs } from '../src/runners/sge.js';
import { sbatchArgs } from '../src/runners/slurm.js';

const plan = (over: Partial<SubmitPlan> = {}): SubmitPlan => ({
  job: { id: 'bcdfghjklmnp', state: 'running', dir: '/jobs/running/bcdfghjklmnp' },
  name: 'jd-bcdfghjklmnp-2',
  attempt: 2,
  tasks: 0,
  throttle: 5,
  timeLimitMs: null,
  killGraceMs: 10_000,
  options: {},
  wrapperEnv: {},
  script: '/opt/jobdir/wrapper/jobdir-wrapper.sh',
  scriptArgs: ['/jobs/running/bcdfghjklmnp', '2'],
  ...over,
});

describe('the runner options users set become sbatch and qsub arguments', () => {
  test('sbatch: name, directory, log, partition, time, memory, cpus, raw options, then the wrapper and its arguments', () => {
    const args = sbatchArgs(
      plan({
        options: {
          partition: 'long',
          time: '2:00:00',
          memory: '4G',
          cpus: '8',
          options: '--qos=high --comment "two words"',
        },
      }),
    );
    assert.deepEqual(args, [
      '--parsable',
      '-J',
      'jd-bcdfghjklmnp-2',
      '-D',
      '/jobs/running/bcdfghjklmnp',
      '-o',
      '/jobs/running/bcdfghjklmnp/cluster.log',
      '-p',
      'long',
      '--time=2:00:00',
      '--mem=4G',
      '--cpus-per-task=8',
      '--qos=high',
      '--comment',
      'two words',
      '/opt/jobdir/wrapper/jobdir-wrapper.sh',
      '/jobs/running/bcdfghjklmnp',
      '2',
    ]);
  });
  test('sbatch: an array job is throttled with %K and logs per task; a job type time limit gives the cluster a backstop in minutes', () => {
    const args = sbatchArgs(plan({ tasks: 10, throttle: 3, timeLimitMs: 90_000 }));
    assert.ok(args.includes('--array=1-10%3'));
    assert.ok(args.includes('/jobs/running/bcdfghjklmnp/cluster.%a.log'));
    assert.ok(args.includes('--time=3'), args.join(' ')); // 90 s + 10 s grace + 60 s → 3 min
  });
  test('qsub: terse, name, directory, joined log, sh, queue, h_rt, h_vmem, pe, array with -tc, wrapper environment with -v', () => {
    const args = qsubArgs(
      plan({
        tasks: 4,
        throttle: 2,
        options: { queue: 'all.q', time: '0:10:0', memory: '2G', cpus: '4' },
        wrapperEnv: { JOBDIR_ARRAY_TASKS: '4' },
      }),
    );
    assert.deepEqual(args, [
      '-terse',
      '-N',
      'jd-bcdfghjklmnp-2',
      '-wd',
      '/jobs/running/bcdfghjklmnp',
      '-o',
      '/jobs/running/bcdfghjklmnp/cluster.$TASK_ID.log',
      '-j',
      'y',
      '-S',
      '/bin/sh',
      '-q',
      'all.q',
      '-l',
      'h_rt=0:10:0',
      '-l',
      'h_vmem=2G',
      '-pe',
      'smp',
      '4',
      '-t',
      '1-4',
      '-tc',
      '2',
      '-v',
      'JOBDIR_ARRAY_TASKS=4',
      '/opt/jobdir/wrapper/jobdir-wrapper.sh',
      '/jobs/running/bcdfghjklmnp',
      '2',
    ]);
  });
  test('a bad cpus value is refused with the option named', () => {
    assert.throws(
      () => sbatchArgs(plan({ options: { cpus: 'many' } })),
      /runner option cpus must be a whole number/,
    );
  });
  test('raw options split like a shell splits words and quotes, without expansions', () => {
    assert.deepEqual(splitOptions(`-l gpu=1 --x='a b' "c \\" d" $HOME`), [
      '-l',
      'gpu=1',
      '--x=a b',
      'c " d',
      '$HOME',
    ]);
    assert.throws(() => splitOptions(`--comment "open`), /unclosed/);
  });
});
