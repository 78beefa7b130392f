/** The bench's knobs, from flags or environment (flags win), with defaults sized for ≈ 15 min on 2 CPUs. */

export const PHASES = ['throughput', 'bpf-stats', 'startup', 'pipeline', 'memory', 'accounting'] as const;
export type Phase = (typeof PHASES)[number];

export interface Knobs {
  /** Rounds of the alternating throughput trials (each round: every configuration once). */
  rounds: number;
  /** Seconds of traffic per throughput trial and per workload. */
  trialSeconds: number;
  /** Seconds a tool runs before its first trial (start-up work stays out of the window). */
  settleSeconds: number;
  /** UDP payload bytes of the flood. */
  payload: number;
  /** Launches per tool for start-up times. */
  launches: number;
  /** Seconds every tool runs at once under the flood before its memory is read. */
  memorySeconds: number;
  /** Seconds per producer rate in the details pipeline. */
  pipelineSeconds: number;
  /** Producer rates of the details pipeline, events/s; 0 = as fast as the kernel can. */
  pipelineRates: number[];
  phases: Phase[];
  out: string;
}

export const DEFAULTS: Knobs = {
  rounds: 3,
  trialSeconds: 2,
  settleSeconds: 1,
  payload: 64,
  launches: 5,
  memorySeconds: 30,
  pipelineSeconds: 3,
  pipelineRates: [100_000, 150_000, 200_000, 300_000, 500_000, 1_000_000, 2_000_000, 4_000_000, 0],
  phases: [...PHASES],
  out: 'docs/benchmarks.md',
};

/** Flag name → environment variable. */
const NAMES: Record<Exclude<keyof Knobs, never>, [string, string]> = {
  rounds: ['--rounds', 'BENCH_ROUNDS'],
  trialSeconds: ['--trial-seconds', 'BENCH_TRIAL_SECONDS'],
  settleSeconds: ['--settle-seconds', 'BENCH_SETTLE_SECONDS'],
  payload: ['--payload', 'BENCH_PAYLOAD'],
  launches: ['--launches', 'BENCH_LAUNCHES'],
  memorySeconds: ['--memory-seconds', 'BENCH_MEMORY_SECONDS'],
  pipelineSeconds: ['--pipeline-seconds', 'BENCH_PIPELINE_SECONDS'],
  pipelineRates: ['--pipeline-rates', 'BENCH_PIPELINE_RATES'],
  phases: ['--phases', 'BENCH_PHASES'],
  out: ['--out', 'BENCH_OUT'],
};

export class KnobError extends Error {}

function positive(flag: string, raw: string, int: boolean, max: number): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0 || v > max || (int && !Number.isInteger(v))) {
    throw new KnobError(`${flag}: '${raw}' is not a${int ? 'n integer' : ' number'} in 1..${max}`);
  }
  return v;
}

export function parseKnobs(argv: readonly string[], env: Record<string, string | undefined>): Knobs {
  const given = new Map<string, string>();
  for (const [, [flag, variable]] of Object.entries(NAMES)) {
    const e = env[variable];
    if (e !== undefined && e !== '') given.set(flag, e);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') throw new KnobError(usage());
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (!Object.values(NAMES).some(([f]) => f === flag)) throw new KnobError(`unknown option ${flag}\n${usage()}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new KnobError(`${flag}: needs a value`);
    given.set(flag, value);
  }
  const k: Knobs = { ...DEFAULTS, pipelineRates: [...DEFAULTS.pipelineRates], phases: [...DEFAULTS.phases] };
  const get = (key: keyof Knobs) => given.get(NAMES[key][0]);
  const num = (key: 'rounds' | 'trialSeconds' | 'settleSeconds' | 'payload' | 'launches' | 'memorySeconds' | 'pipelineSeconds', int: boolean, max: number) => {
    const raw = get(key);
    if (raw !== undefined) k[key] = positive(NAMES[key][0], raw, int, max);
  };
  num('rounds', true, 100);
  num('trialSeconds', false, 600);
  num('settleSeconds', false, 60);
  num('payload', true, 1472);
  num('launches', true, 100);
  num('memorySeconds', false, 3600);
  num('pipelineSeconds', false, 600);
  const rates = get('pipelineRates');
  if (rates !== undefined) {
    k.pipelineRates = rates.split(',').map((r) => {
      const v = Number(r.trim().replace(/[mM]$/, 'e6').replace(/[kK]$/, 'e3'));
      if (!Number.isFinite(v) || v < 0) throw new KnobError(`--pipeline-rates: '${r}' is not a rate (events/s, 0 for as fast as possible)`);
      return v;
    });
  }
  const phases = get('phases');
  if (phases !== undefined) {
    const list = phases.split(',').map((p) => p.trim()).filter(Boolean);
    for (const p of list) if (!(PHASES as readonly string[]).includes(p)) throw new KnobError(`--phases: '${p}' is not one of ${PHASES.join(', ')}`);
    k.phases = PHASES.filter((p) => list.includes(p));
  }
  k.out = get('out') ?? k.out;
  return k;
}

export function usage(): string {
  const lines = ['usage: node bench/dist/bench.js [options]   (or npm run bench; options also as environment variables)'];
  const d = DEFAULTS as unknown as Record<string, unknown>;
  for (const [key, [flag, variable]] of Object.entries(NAMES)) {
    const def = d[key];
    lines.push(`  ${flag.padEnd(20)} ${variable.padEnd(24)} default ${Array.isArray(def) ? def.join(',') : String(def)}`);
  }
  return lines.join('\n');
}

/** The command line that reproduces these knobs. */
export function knobsCommand(k: Knobs): string {
  const parts = ['npm run bench --'];
  const d = DEFAULTS as unknown as Record<string, unknown>;
  const cur = k as unknown as Record<string, unknown>;
  for (const [key, [flag]] of Object.entries(NAMES)) {
    const v = cur[key];
    const s = Array.isArray(v) ? v.join(',') : String(v);
    const ds = Array.isArray(d[key]) ? (d[key] as unknown[]).join(',') : String(d[key]);
    if (s !== ds) parts.push(`${flag} ${s}`);
  }
  return parts.length === 1 ? 'npm run bench' : parts.join(' ');
}
