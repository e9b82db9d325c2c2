/**
 * Where flatline's own files are: the repository when it runs from source, `node_modules/flatline`
 * when installed (its code then sits one level deeper, in dist/). Found by walking up to flatline's
 * package.json, so both layouts resolve the same files (the scenario schemas, tools/bin).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'flatline') return dir;
      } catch {}
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`flatline: no package.json of flatline above ${from}`);
    dir = up;
  }
}

export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** The scenario file's JSON Schema that flatline ships. */
export const SCENARIO_SCHEMA_PATH = join(PACKAGE_ROOT, 'scenarios', 'scenario.schema.json');
