// `npm run bench`: runs every bench/<area>.ts in its own process, one after another (the machine is
// noisy; each area reports ratios measured within its own run). `npm run bench -- core` runs one area.
import { spawnSync } from 'child_process';
import { readdirSync } from 'fs';
import * as path from 'path';

const only = process.argv.slice(2);
const files = readdirSync(__dirname)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .filter((f) => only.length === 0 || only.includes(path.basename(f, '.ts')))
  .sort();
let failed = 0;
for (const f of files) {
  console.log(`\n=== bench/${f} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
