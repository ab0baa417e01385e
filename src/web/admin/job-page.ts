import type { Config } from '../../config/index.js';
import { under } from '../../config/urltop.js';
import type { JobDetails } from '../../ops/admin.js';
import type { Service } from '../../service/types.js';
import { JOB_FILES, listJobFiles } from '../../store/index.js';
import type { AdminJobView, LogLine, Parameter } from '../../../templates/admin-job.js';
import { POLICY } from '../../states.js';
import { uploadName } from '../job-page.js';

/** How much of jobdir.log the page shows (the end; the whole file is a download): showJob's logBytes. */
export const LOG_BYTES = 64 * 1024;

/** One jobdir.log line (a JSON object per event) as time, event and the rest. */
function logLine(text: string): LogLine {
  try {
    const { t, event, ...rest } = JSON.parse(text) as Record<string, unknown>;
    if (typeof event !== 'string') throw new Error('no event');
    const detail = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return {
      t: typeof t === 'string' ? t.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '',
      event,
      detail,
    };
  } catch {
    return { t: '', event: '', detail: text };
  }
}

/**
 * Everything the admin's page of one job shows: `jobdir show`'s details, the submitted
 * parameters by their labels (uploads by name and size, linked), jobdir.log as a table (its
 * last 64 KiB), every file of the job directory with its size (each regular file a download
 * for the admin), and the actions its state allows.
 */
export async function adminJobView(
  o: { cfg: Config; service: Service; base: string },
  d: JobDetails,
  csrf: string,
): Promise<AdminJobView> {
  const job = d.job;
  const fileUrl = (name: string) =>
    under(o.base, `/admin/jobs/${job.id}/files/${encodeURIComponent(name)}`);
  const files = await listJobFiles(job);
  const sizeOf = new Map(files.filter((f) => f.kind === 'file').map((f) => [f.name, f.size]));
  const type = o.service.jobTypes.find((t) => t.name === job.settings.type);
  const parameters: Parameter[] = [];
  const fields = type ? Object.entries(type.fields) : [];
  for (const [name, field] of fields) {
    if (!Object.hasOwn(job.inputs, name)) continue;
    const value = job.inputs[name]!;
    const label = field.label ?? name;
    if (field.kind === 'file' && value) {
      const size = sizeOf.get(value);
      parameters.push({
        name,
        label,
        value: uploadName(name, value),
        file: size === undefined ? { size: null, url: null } : { size, url: fileUrl(value) },
      });
    } else parameters.push({ name, label, value, file: null });
  }
  // Inputs the type does not (or no longer) declare, as they were recorded.
  for (const [name, value] of Object.entries(job.inputs))
    if (!fields.some(([n]) => n === name))
      parameters.push({ name, label: name, value, file: null });

  const logSize = sizeOf.get(JOB_FILES.LOG) ?? 0;
  const lines = d.logTail.split('\n').filter(Boolean);
  // A cut log starts mid-line: drop the piece.
  if (logSize > LOG_BYTES) lines.shift();
  return {
    id: job.id,
    state: job.state,
    dir: job.dir,
    settings: job.config.settings ?? {},
    typeKnown: !!type,
    parameters,
    attempts: d.attempts,
    where: d.where,
    failure: d.failure,
    history: d.history,
    log: lines.map(logLine),
    logCut: logSize > LOG_BYTES ? { shown: LOG_BYTES, size: logSize } : null,
    logUrl: logSize ? fileUrl(JOB_FILES.LOG) : null,
    stdout: d.stdoutTail,
    stderr: d.stderrTail,
    files: files.map((f) => ({
      ...f,
      url: f.kind === 'file' && f.size <= o.cfg.web.maxDownloadBytes ? fileUrl(f.name) : null,
    })),
    // The actions that make sense in its state (its row of the states' policy).
    actions: [...POLICY[job.state].admin],
    csrf,
  };
}
