/** Every flavour of every system-network program against this kernel's verifier. */
import { describe, expect, it } from 'vitest';
import { BpfError, BpfObject } from '@netstrata/libbpf-ts';
import { probe } from '@netstrata/bpf-common';
import metrics from '../build/bpf/system_network_metrics_summary.bpf.o';
import latencySummary from '../build/bpf/system_network_latency_summary.bpf.o';
import latencyDetails from '../build/bpf/system_network_latency_details.bpf.o';
import { ALL_LATENCY_HOOKS } from './latency/hooks.ts';
import { LAT_FIFO_SIZE, LAT_KEY_SIZE, LAT_SESSION_SIZE } from './latency/layout.ts';
import { metricsHooks, unusedDropPrograms } from './hooks.ts';
import { DEV_KEY_SIZE, DEV_STATS_SIZE, DROP_DEV_KEY_SIZE, QUEUE_STATS_SIZE, SOFTIRQ_STATS_SIZE } from './layout.ts';

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI) throw new Error('verifier tests need root on CI');
if (!isRoot) console.warn('skipping system-network verifier tests: not root');

describe.runIf(isRoot)('system-network programs pass the verifier', () => {
  for (const hook of metricsHooks) {
    for (const flavour of hook.flavours) {
      it(`system_network_metrics_summary: ${hook.name} ${flavour.name}`, () => {
        using obj = BpfObject.open(metrics, 'system_network_metrics_summary');
        for (const p of obj.programs()) p.autoload = flavour.programs.includes(p.name) && !unusedDropPrograms.includes(p.name);
        expect(() => obj.load()).not.toThrow();
      });
    }
  }

  for (const [objName, bytes] of [['system_network_latency_summary', latencySummary], ['system_network_latency_details', latencyDetails]] as const) {
    for (const hook of ALL_LATENCY_HOOKS) {
      for (const flavour of hook.flavours) {
        it(`${objName}: ${hook.name} ${flavour.name}`, () => {
          using obj = BpfObject.open(bytes, objName);
          for (const p of obj.programs()) p.autoload = flavour.programs.includes(p.name);
          // A function this kernel lacks cannot be an fentry target: the flavour is never chosen then.
          const missing = flavour.available?.();
          if (flavour.needs === 'fentry' && missing !== undefined && missing !== true) return void console.warn(`${hook.name} fentry: ${missing}`);
          let err: unknown;
          try {
            obj.load();
          } catch (e) {
            err = e;
          }
          if (flavour.needs === 'fentry' && probe('fentry').answer === 'no') {
            // This kernel refuses BPF trampolines for every program: the reason, not our code.
            expect(err).toBeInstanceOf(BpfError);
            expect((err as BpfError).errnoName).toBe('EPERM');
          } else {
            expect(err).toBeUndefined();
          }
        });
      }
    }
  }

  it('latency decoders agree with the objects on record sizes', () => {
    for (const [objName, bytes] of [['system_network_latency_summary', latencySummary], ['system_network_latency_details', latencyDetails]] as const) {
      using obj = BpfObject.open(bytes, objName);
      expect(obj.map('sessions').keySize).toBe(LAT_KEY_SIZE);
      expect(obj.map('sessions').valueSize).toBe(LAT_SESSION_SIZE);
      expect(obj.map('fifos').valueSize).toBe(LAT_FIFO_SIZE);
    }
  });

  it('decoders agree with the object on record sizes', () => {
    using obj = BpfObject.open(metrics, 'system_network_metrics_summary');
    expect(obj.map('devs').keySize).toBe(DEV_KEY_SIZE);
    expect(obj.map('devs').valueSize).toBe(DEV_STATS_SIZE);
    expect(obj.map('queues').valueSize).toBe(QUEUE_STATS_SIZE);
    expect(obj.map('drops').keySize).toBe(DROP_DEV_KEY_SIZE);
    expect(obj.map('softirqs').valueSize).toBe(SOFTIRQ_STATS_SIZE);
    expect(obj.map('hists').valueSize).toBe(65 * 8);
  });
});
