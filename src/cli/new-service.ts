import { execFile } from 'node:child_process';
import { constants, existsSync, promises as fs, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Command } from './commands.js';

interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
}

/** jobdir's own folder and package.json (this module is in its dist/src/cli/, or src/cli/). */
function jobdirPackage(): { root: string; pkg: PackageJson } {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
      if (pkg.name === 'jobdir') return { root: dir, pkg };
    }
    if (dirname(dir) === dir) throw new Error("jobdir's package.json is not above this module");
  }
}

/**
 * The project's dependency on jobdir: `spec` as given (`--jobdir`: a version range once
 * jobdir is on a registry, a tarball, a folder, a git URL), else this very jobdir packed
 * into a tarball beside the project (`npm pack`), so the folder installs on any machine.
 */
async function jobdirDependency(
  dir: string,
  spec: string | undefined,
): Promise<{ spec: string; tarball?: string }> {
  if (spec) return { spec };
  const { root } = jobdirPackage();
  try {
    const { stdout } = await promisify(execFile)(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--loglevel=error', '--pack-destination', dir, root],
      { cwd: root },
    );
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    return { spec: `file:${packed!.filename}`, tarball: join(dir, packed!.filename) };
  } catch (err) {
    throw new Error(
      `could not pack jobdir (${root}) into ${dir} with npm pack: ${(err as Error).message.trim()}; name the dependency with --jobdir SPEC (a version, a tarball or a folder)`,
      { cause: err },
    );
  }
}

/** The files of a new service NAME, by file name. */
export function scaffoldFiles(name: string): Record<string, string> {
  const title = name.charAt(0).toUpperCase() + name.slice(1).replace(/[-_]/g, ' ');
  return {
    [`${name}.ts`]: `import { fileURLToPath } from 'node:url';
import { defineService, field } from 'jobdir';

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
    [`${name}.test.ts`]: `// Run: npm test (the real backend runs the real program).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runTestJob } from 'jobdir/testing';

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

/**
 * Write a new service into `dir` (refusing to overwrite anything): its files and a
 * package.json that depends on jobdir (`jobdirSpec`, else a tarball of this jobdir beside
 * it) and runs it. Returns the paths written.
 */
export async function newService(
  name: string,
  dir: string,
  jobdirSpec?: string,
): Promise<string[]> {
  if (!/^[a-z][a-z0-9_-]{0,39}$/.test(name))
    throw new Error(
      `service name "${name}" must be 1-40 lower-case letters, digits, _ or -, starting with a letter`,
    );
  const files = { 'package.json': '', ...scaffoldFiles(name) };
  await fs.mkdir(dir, { recursive: true });
  // Nothing is packed or written beside an existing project.
  for (const file of Object.keys(files))
    if (existsSync(join(dir, file)))
      throw new Error(`${join(dir, file)} exists; choose another --dir or remove it`);
  const dep = await jobdirDependency(dir, jobdirSpec);
  files['package.json'] =
    JSON.stringify(
      {
        name,
        private: true,
        // .ts files are ES modules, as jobdir is.
        type: 'module',
        scripts: { start: `jobdir serve --config ${name}.ini`, test: `tsx --test ${name}.test.ts` },
        dependencies: { jobdir: dep.spec },
        // Its test runs TypeScript itself (jobdir brings tsx for the service module only).
        devDependencies: { tsx: jobdirPackage().pkg.dependencies?.tsx ?? '^4' },
      },
      null,
      2,
    ) + '\n';
  const written: string[] = dep.tarball ? [dep.tarball] : [];
  for (const [file, text] of Object.entries(files)) {
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

/** `jobdir new-service NAME [--dir DIR] [--jobdir SPEC]`. */
export const newServiceCommand: Command = {
  usage: 'NAME [--dir DIR] [--jobdir SPEC]',
  help: 'write a working service NAME (module, INI, sample program, test, package.json depending on jobdir: SPEC, else a tarball of this jobdir beside it) into DIR (default ./NAME)',
  options: { dir: { type: 'string' }, jobdir: { type: 'string' } },
  async run({ values, args }) {
    const [name] = args;
    if (!name || args.length > 1) {
      process.stderr.write('usage: jobdir new-service NAME [--dir DIR] [--jobdir SPEC]\n');
      return 2;
    }
    const dir = resolve(typeof values.dir === 'string' ? values.dir : name);
    const files = await newService(
      name,
      dir,
      typeof values.jobdir === 'string' ? values.jobdir : undefined,
    );
    const cd = relative(process.cwd(), dir) || '.';
    process.stdout.write(
      `${files.map((f) => `wrote ${f}`).join('\n')}\n\nNext:\n  cd ${cd}\n  npm install     # jobdir and tsx\n  npm test        # its test passes as it is\n  npm start       # then open http://127.0.0.1:8080\n`,
    );
    return 0;
  },
};
