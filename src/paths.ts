/** The project root (the folder with package.json), from src/ under ts-jest and from dist/src/ when built. */
import { existsSync } from 'node:fs';
import path from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${start}`);
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = findRoot(__dirname);

/** Where `npm run build` writes the bundled SMART app, and where the server serves `/app/` from by default. */
export const DEFAULT_APP_DIR = path.join(PROJECT_ROOT, 'dist', 'app');

/** Where `npm run build` writes the embedded demo's EHR page, and where the demo serves it from. */
export const DEFAULT_DEMO_DIR = path.join(PROJECT_ROOT, 'dist', 'demo');
