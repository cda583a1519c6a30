// Temporary folders for tests, removed when the test process exits (also after a failed test).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A new empty folder under the OS temp dir, named `<prefix>XXXXXX`, deleted at process exit. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
