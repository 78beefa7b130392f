import { describe, expect, it } from 'vitest';
import { DEFAULTS, KnobError, knobsCommand, parseKnobs } from './knobs.ts';

describe('parseKnobs', () => {
  it('has defaults', () => {
    expect(parseKnobs([], {})).toEqual(DEFAULTS);
    expect(knobsCommand(DEFAULTS)).toBe('npm run bench');
  });

  it('takes environment variables, and flags over them', () => {
    const k = parseKnobs(['--rounds', '5', '--trial-seconds=1.5'], { BENCH_ROUNDS: '2', BENCH_LAUNCHES: '3' });
    expect([k.rounds, k.trialSeconds, k.launches]).toEqual([5, 1.5, 3]);
    expect(knobsCommand(k)).toBe('npm run bench -- --rounds 5 --trial-seconds 1.5 --launches 3');
  });

  it('parses rates with k/M suffixes and phases in their run order', () => {
    const k = parseKnobs(['--pipeline-rates', '500k,1M,0', '--phases', 'memory,startup'], {});
    expect(k.pipelineRates).toEqual([500_000, 1_000_000, 0]);
    expect(k.phases).toEqual(['startup', 'memory']);
  });

  it('names the option it rejects', () => {
    expect(() => parseKnobs(['--rounds', '0'], {})).toThrow(/--rounds: '0'/);
    expect(() => parseKnobs(['--rounds', '1.5'], {})).toThrow(KnobError);
    expect(() => parseKnobs(['--phases', 'speed'], {})).toThrow(/--phases: 'speed'/);
    expect(() => parseKnobs(['--nope', '1'], {})).toThrow(/unknown option --nope/);
    expect(() => parseKnobs(['--out'], {})).toThrow(/--out: needs a value/);
  });
});
