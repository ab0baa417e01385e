import { promises as fs } from 'node:fs';

/**
 * A cheap fingerprint of a job directory: inode, mtime and ctime of the folder itself
 * (one stat). It changes when the job is moved (renamed: ctime), when a file in it is
 * created, renamed over or removed (mtime), and it is null once the folder is gone. Web
 * caches of finished jobs compare it to know their copy is still true.
 */
export async function jobStamp(dir: string): Promise<string | null> {
  try {
    const st = await fs.stat(dir);
    return `${st.ino}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch {
    return null;
  }
}
