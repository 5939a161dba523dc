/**
 * Environment for the processor functions beyond their configuration: process tuning measured by
 * `npm run bench` (docs/PERFORMANCE.md). No CDK imports, so the benchmark runs its memory probe
 * with the same environment the functions get.
 */
export const PROCESSOR_TUNING: Readonly<Record<string, string>> = {
  // Gunzip hands the reader a fresh 64 KiB buffer per chunk, thousands per object, freed only
  // when V8 next collects. glibc serves 64 KiB from its heap (its mmap threshold starts at 128
  // KiB), and once fragmented that heap keeps the memory: on the 75 MB object the peak RSS was
  // ~270 MB with it, ~240 MB with 64 KiB blocks mapped and unmapped whole.
  MALLOC_MMAP_THRESHOLD_: '65536',
};
