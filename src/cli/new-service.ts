import { createRequire } from 'node:module';
import { constants, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from './commands.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** How the generated files import jobdir: the package name where it resolves, else absolute paths. */
function importsFor(dir: string): { api: string; testing: string } {
  try {
    createRequire(join(dir, 'x.js')).resolve('jobdir/package.json');
    return { api: 'jobdir', testing: 'jobdir/testing' };
  } catch {
    return { api: join(ROOT, 'src/service/index.ts'), testing: join(ROOT, 'src/testing/index.ts') };
  }
}

/** The files of a new service NAME, by file name. */
export function scaffoldFiles(
  name: string,
  imports: { api: string; testing: string },
): Record<string, string> {
  const title = name.charAt(0).toUpperCase() + name.slice(1).replace(/[-_]/g, ' ');
  return {
    [`${name}.ts`]: `import { fileURLToPath } from 'node:url';
import { defineService, field } from '${imports.api}';

const program = fileURLToPath(new URL('./${name}.sh', import.meta.url));

/** ${title}: replace ${name}.sh with your program and the fields with its inputs. */
export default defineService({
  name: '${name}',
  title: '${title}',
  jobTypes: [{
    name: 'run',
    title: 'Run ${title}',
    fields: {
      text: field.string({ label: 'Text', maxLength: 200 }),
      times: field.integer({ label: 'How many times', min: 1, max: 10, default: 3 }),
    },
    example: { text: 'Hello', times: '2' },
    run: ({ inputs }) => [program, inputs.text!, inputs.times!],
    downloads: ['stdout.txt', 'stderr.txt'],
    render: ({ stdout }) => stdout.trim(),
  }],
});
`,
    [`${name}.sh`]: `#!/bin/sh
# The sample program: prints TEXT TIMES times, reporting progress. Replace it with yours;
# it runs in the job's directory, argv comes from the module's run(), and progress goes to
# the file named by $JOBDIR_PROGRESS as "DONE TOTAL message" or "N% message".
text=$1 times=$2
i=0
while [ "$i" -lt "$times" ]; do
  printf '%s %s printing\\n' "$i" "$times" >"\${JOBDIR_PROGRESS:-/dev/null}"
  printf '%s\\n' "$text"
  i=$((i + 1))
done
`,
    [`${name}.ini`]: `# ${title}: \`jobdir serve --config ${name}.ini\` serves it on http://127.0.0.1:8080;
# jobs live under data/, emails go to data/outbox/ until [email] host is set.
[general]
service_name = ${title}
service = ${name}.ts
admin_email = admin@localhost

[directories]
install = .
incoming = data/incoming
preprocessing = data/preprocessing
running = data/running
postprocessing = data/postprocessing
finalizing = data/finalizing
completed = data/completed
failed = data/failed
archived = data/archived

[oldjobs]
archive = 30d
expire = 90d

[job run]
time_limit = 10m
# notify_fail = mail admin@localhost, syslog ${name}
`,
    [`${name}.test.ts`]: `// Run: npx tsx --test ${name}.test.ts (the real backend runs the real program).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runTestJob } from '${imports.testing}';

const config = fileURLToPath(new URL('./${name}.ini', import.meta.url));

test('${name} prints the text as many times as asked', async () => {
  const job = await runTestJob(config, { type: 'run', text: 'hello', times: '2' });
  assert.equal(job.state, 'completed', job.failure ?? '');
  assert.equal(job.stdout, 'hello\\nhello\\n');
  assert.equal(job.rendered, 'hello\\nhello');
});

test('${name} refuses a count out of range', async () => {
  await assert.rejects(runTestJob(config, { type: 'run', text: 'hello', times: '11' }), /times: must be at most 10/);
});
`,
  };
}

/** Write a new service into `dir` (refusing to overwrite anything); returns the paths written. */
export async function newService(name: string, dir: string): Promise<string[]> {
  if (!/^[a-z][a-z0-9_-]{0,39}$/.test(name))
    throw new Error(
      `service name "${name}" must be 1-40 lower-case letters, digits, _ or -, starting with a letter`,
    );
  await fs.mkdir(dir, { recursive: true });
  const written: string[] = [];
  // package.json first ("type": "module", so tsx loads the .ts files as ES modules): it
  // decides how "jobdir" resolves from here.
  const pkg = join(dir, 'package.json');
  if (await fs.stat(pkg).catch(() => null))
    throw new Error(`${pkg} exists; choose another --dir or remove it`);
  await fs.writeFile(
    pkg,
    JSON.stringify(
      {
        name,
        private: true,
        type: 'module',
        scripts: { test: `tsx --test ${name}.test.ts`, start: `jobdir serve --config ${name}.ini` },
      },
      null,
      2,
    ) + '\n',
    { flag: 'wx' },
  );
  written.push(pkg);
  for (const [file, text] of Object.entries(scaffoldFiles(name, importsFor(dir)))) {
    const path = join(dir, file);
    const fh = await fs
      .open(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
        file.endsWith('.sh') ? 0o755 : 0o644,
      )
      .catch((err: NodeJS.ErrnoException) => {
        throw new Error(
          err.code === 'EEXIST' ? `${path} exists; choose another --dir or remove it` : err.message,
          { cause: err },
        );
      });
    await fh.writeFile(text);
    await fh.close();
    written.push(path);
  }
  return written;
}

/** `jobdir new-service NAME [--dir DIR]`. */
export const newServiceCommand: Command = {
  usage: 'NAME [--dir DIR]',
  help: 'write a working service NAME (module, INI, sample program, test) into DIR (default ./NAME)',
  options: { dir: { type: 'string' } },
  async run({ values, args }) {
    const [name] = args;
    if (!name || args.length > 1) {
      process.stderr.write('usage: jobdir new-service NAME [--dir DIR]\n');
      return 2;
    }
    const dir = resolve(typeof values.dir === 'string' ? values.dir : name);
    const files = await newService(name, dir);
    process.stdout.write(
      `${files.map((f) => `wrote ${f}`).join('\n')}\n\nNext:\n  cd ${dir}\n  npx tsx --test ${name}.test.ts        # its test passes as it is\n  jobdir serve --config ${name}.ini      # then open http://127.0.0.1:8080\n`,
    );
    return 0;
  },
};
