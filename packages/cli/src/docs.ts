/** Documentation derived from the tool descriptors, so no list of tools is kept by hand. */
import type { ToolInfo } from './registry.ts';

/** The README's table of tools: name, package and the question each answers. */
export function toolTable(tools: readonly ToolInfo[]): string {
  const rows = tools.map((t) => `| \`${t.name}\` | ${t.domain} | ${t.describe} |`);
  return ['| tool | package | question |', '|---|---|---|', ...rows, '| `netstrata doctor` | cli | What can this kernel do, and which hook would each tool use? |', "| `netstrata audit` | cli | What in this host's configuration is off, and why does it matter for drops and latency? Rule by rule: TAP and NIC rings, offloads, rp_filter, conntrack, NIC interrupts and RPS/XPS against CPUs and NUMA nodes, busy polling, vhost and vCPU pinning, ksoftirqd; each with its evidence and the setting to change ([docs/audit.md](docs/audit.md)). |", '| `netstrata diagnose` | cli | Is this host dropping or delaying packets, where, and why? The three layers in one command: the summaries for a few seconds and a verdict (drops, latency or healthy, findings ranked by harm, benign drops apart), then the details tool of each finding with the finding as its filter, then the CPU tools on the threads involved ([docs/diagnose.md](docs/diagnose.md)). |', '| `netstrata lab` | cli | Labs in network namespaces with known faults (`lab list`, `lab run CASE`), each diagnosed beside what was injected. |', '| `netstrata list` | cli | The tools, one line each. |'].join('\n');
}

/** Replaces the block between `<!-- name -->` and `<!-- /name -->` in a document. */
export function replaceBlock(doc: string, name: string, body: string): string {
  const re = new RegExp(`(<!-- ${name} -->\\n)[\\s\\S]*?(<!-- /${name} -->)`);
  if (!re.test(doc)) throw new Error(`no <!-- ${name} --> block`);
  return doc.replace(re, (_m, open: string, close: string) => `${open}${body}\n${close}`);
}
