/** Every flavour of every system-network program against this kernel's verifier. */
import { describe, expect, it } from 'vitest';
import { BpfObject } from '@netstrata/libbpf-ts';
import { verifyFlavour } from '@netstrata/bpf-common';
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
        expect(verifyFlavour(obj, flavour, (p) => !unusedDropPrograms.includes(p))).toEqual({ loaded: true });
      });
    }
  }

  // Details twice: --stack turns on code the verifier otherwise prunes as dead.
  const latencyObjects = [
    ['system_network_latency_summary', latencySummary, false],
    ['system_network_latency_details', latencyDetails, false],
    ['system_network_latency_details', latencyDetails, true],
  ] as const;
  for (const [objName, bytes, stack] of latencyObjects) {
    for (const hook of ALL_LATENCY_HOOKS) {
      for (const flavour of hook.flavours) {
        it(`${objName}${stack ? ' --stack' : ''}: ${hook.name} ${flavour.name}`, () => {
          using obj = BpfObject.open(bytes, objName);
          if (stack) obj.setRodata('targ_stack', true);
          // A function this kernel lacks cannot be an fentry target: the flavour is never chosen then.
          const missing = flavour.available?.();
          if (flavour.needs === 'fentry' && missing !== undefined && missing !== true) return void console.warn(`${hook.name} fentry: ${missing}`);
          expect(verifyFlavour(obj, flavour)).not.toHaveProperty('error');
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
