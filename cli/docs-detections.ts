import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDetectionCatalog } from '../shared/detect';

/** `npm run docs:detections`: regenerates docs/DETECTIONS.md from the detectors' metadata. */
const path = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'docs', 'DETECTIONS.md');
writeFileSync(path, renderDetectionCatalog());
process.stdout.write(`Wrote ${path}\n`);
