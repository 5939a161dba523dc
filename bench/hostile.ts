/**
 * `npm run bench:hostile`: time and peak memory of the readers on hostile objects, each case in a
 * fresh process. A string far over the 16 MiB record bound inside one audit document (the
 * scanner must skip it in time linear in its length, holding no more than the bound), and a
 * "newline bomb" (a flow header, then nothing but line breaks), whose cost per GiB tells how
 * large an object the Lambda timeout allows. The data is generated as it is read: no file.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { newReadStats, readAuditObject, readFlowLines, STACK_FLOW_HEADER } from '../shared/ingest';

type Case = 'long-string' | 'newline-bomb';
const CHUNK = 64 * 1024;
const MIB = 1024 * 1024;

/** One audit event around a string of `mib` MiB, then an event after it, in 64 KiB chunks. */
async function* longString(mib: number): AsyncGenerator<Uint8Array> {
  yield Buffer.from('{\n  "kind": "Event",\n  "apiVersion": "audit.k8s.io/v1",\n  "requestObject": "');
  const piece = Buffer.alloc(CHUNK, 'A');
  for (let sent = 0; sent < mib * MIB; sent += CHUNK) yield piece;
  yield Buffer.from('"\n}\n{"kind": "Event", "apiVersion": "audit.k8s.io/v1"}\n');
}

/** A flow-log header, then `mib` MiB of line breaks. */
async function* newlineBomb(mib: number): AsyncGenerator<Uint8Array> {
  yield Buffer.from(`${STACK_FLOW_HEADER}\n`);
  const piece = Buffer.alloc(CHUNK, '\n');
  for (let sent = 0; sent < mib * MIB; sent += CHUNK) yield piece;
}

function peakRssMb(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match?.[1] ? Number(match[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

async function child(which: Case, mib: number): Promise<void> {
  const stats = newReadStats();
  const started = performance.now();
  if (which === 'long-string') {
    await readAuditObject(longString(mib), { uri: 'bench', stats, cluster: 'c' }, () => {});
  } else {
    await readFlowLines(newlineBomb(mib), { uri: 'bench', stats }, () => {});
  }
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ ms, rssMb: peakRssMb(), rejected: stats.rejected })}\n`);
}

function main(): void {
  const cases: [Case, number][] = [
    ['long-string', 50],
    ['long-string', 100],
    ['long-string', 200],
    ['newline-bomb', 64],
    ['newline-bomb', 128],
  ];
  console.log(
    `${'case'.padEnd(14)} ${'MiB'.padStart(5)} ${'ms'.padStart(8)} ${'ms/MiB'.padStart(7)} ${'peak RSS'.padStart(9)}  rejected`,
  );
  for (const [which, mib] of cases) {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/hostile.ts', '--child', which, String(mib)], {
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`${which} ${mib}: ${run.stderr}`);
    const { ms, rssMb, rejected } = JSON.parse(run.stdout) as { ms: number; rssMb: number; rejected: object };
    console.log(
      `${which.padEnd(14)} ${String(mib).padStart(5)} ${ms.toFixed(0).padStart(8)} ${(ms / mib).toFixed(2).padStart(7)} ${`${rssMb.toFixed(0)} MB`.padStart(9)}  ${JSON.stringify(rejected)}`,
    );
  }
}

const at = process.argv.indexOf('--child');
if (at >= 0) await child(process.argv[at + 1] as Case, Number(process.argv[at + 2]));
else main();
