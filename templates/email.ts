/** Plain-text emails. Each returns subject and body; the mail module makes headers safe. */

interface JobMailFacts {
  service: string;
  id: string;
  url: string;
  ok: boolean;
  failure: string | null;
  /** A signed link listing all of this address's jobs (expires). */
  myJobsUrl?: string;
}

/** To the user when their job ends. */
export function jobEndedMail(f: JobMailFacts): { subject: string; text: string } {
  return {
    subject: `${f.service}: job ${f.id} ${f.ok ? 'completed' : 'failed'}`,
    text: [
      `Your ${f.service} job ${f.id} has ${f.ok ? 'completed' : 'failed'}.`,
      '',
      ...(f.ok ? [] : [`What went wrong: ${f.failure ?? 'unknown'}`, '']),
      `Results: ${f.url}`,
      '',
      'This link is the key to your results: share it only with people who may see them.',
      ...(f.myJobsUrl ? ['', `All your jobs (this link expires): ${f.myJobsUrl}`] : []),
    ].join('\n'),
  };
}

/** To the admin when a job fails for a technical reason (`detail`, e.g. the last stderr, may be empty). */
export function adminFailureMail(f: JobMailFacts & { dir: string; detail: string }): {
  subject: string;
  text: string;
} {
  return {
    subject: `${f.service}: job ${f.id} failed (technical)`,
    text: [
      `Job ${f.id} of ${f.service} failed for a technical reason.`,
      '',
      `Error: ${f.failure ?? 'unknown'}`,
      '',
      ...(f.detail ? [f.detail, ''] : []),
      `Job directory: ${f.dir}`,
      `Results page: ${f.url}`,
      `To run it again once fixed: jobdir resubmit ${f.id}`,
    ].join('\n'),
  };
}
