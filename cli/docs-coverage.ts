import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCoverage } from '../shared/detect';

/** `npm run docs:coverage`: regenerates docs/COVERAGE.md from the peer coverage data. */
const path = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'docs', 'COVERAGE.md');
writeFileSync(path, renderCoverage());
process.stdout.write(`Wrote ${path}\n`);
