/**
 * The error types every layer shares. The web layer's own five extend JobdirError beside
 * the code that throws them: TooLargeError (body.ts), UnauthorizedError, CrossSiteError and
 * RateLimitedError (security/), NotAFormError (jdispatcher/). Each carries an HTTP status and
 * a stable code so one place (the web layer's onError) turns any of them into the same
 * message as HTML or JSON, and the CLI prints the message and exits non-zero. Compare
 * `err.name` across processes.
 */
export class JobdirError extends Error {
  override name = 'JobdirError';
  /** HTTP status this error maps to. */
  status = 500;
  /** Stable machine-readable code for API clients. */
  code = 'internal_error';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A config file breaks a rule: names the file (and line, when known), section and key. */
export class ConfigError extends JobdirError {
  override name = 'ConfigError';
  override code = 'config_error';
  /** The line of the file (from 1) that breaks the rule; null when no one line does. */
  readonly line: number | null;
  constructor(
    readonly file: string,
    readonly section: string | null,
    readonly key: string | null,
    readonly rule: string,
    options?: { cause?: unknown; line?: number | null },
  ) {
    const where =
      section == null
        ? key == null
          ? ''
          : ` ${key}`
        : key == null
          ? ` [${section}]`
          : ` [${section}] ${key}`;
    const line = options?.line ?? null;
    super(`${file}${line === null ? '' : `:${line}`}:${where} ${rule}`, options);
    this.line = line;
  }
}

/**
 * Several ConfigErrors of one file, found in one reading: the first (by line) gives the
 * file, section, key and line; the message has one line per error.
 */
export class ConfigErrors extends ConfigError {
  constructor(readonly errors: readonly ConfigError[]) {
    const first = errors[0]!;
    super(first.file, first.section, first.key, first.rule, { line: first.line });
    this.message = errors.map((e) => e.message).join('\n');
  }
}

/** Submitted input is wrong; `fields` maps each bad field to what is wrong with it. */
export class InputError extends JobdirError {
  override name = 'InputError';
  override status = 400;
  override code = 'invalid_input';
  constructor(
    readonly fields: Record<string, string>,
    options?: { cause?: unknown },
  ) {
    super(
      Object.entries(fields)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; '),
      options,
    );
  }
}

/** No such job (or file): deliberately says nothing more. */
export class NotFoundError extends JobdirError {
  override name = 'NotFoundError';
  override status = 404;
  override code = 'not_found';
}

/** The job existed but its results are archived or expired. */
export class GoneError extends JobdirError {
  override name = 'GoneError';
  override status = 410;
  override code = 'gone';
}

/** The request cannot be done in the job's current state (e.g. resubmit a running job). */
export class ConflictError extends JobdirError {
  override name = 'ConflictError';
  override status = 409;
  override code = 'conflict';
}

/** A job move that the state machine does not declare, or whose requirement does not hold on disk. */
export class TransitionError extends JobdirError {
  override name = 'TransitionError';
  override status = 409;
  override code = 'bad_transition';
}

/** The service cannot accept work now (disk full, backend locked out); try later. */
export class UnavailableError extends JobdirError {
  override name = 'UnavailableError';
  override status = 503;
  override code = 'unavailable';
}

/** Message of any thrown value, for logs and pages. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** 415: a body in a format the route does not take. */
export class UnsupportedMediaError extends JobdirError {
  override name = 'UnsupportedMediaError';
  override status = 415;
  override code = 'unsupported_media_type';
}
