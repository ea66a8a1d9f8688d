/**
 * CPU time spent, read from /proc: on a shared machine the wall-clock throughput follows the
 * load average, while the CPU a transfer costs does not. Linux only.
 */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim());

type Stat = { ppid: number; seconds: number };

/** One process or thread: `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat`. */
function stat(path: string): Stat | null {
  try {
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    const s = readFileSync(path, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), seconds: (Number(f[11]) + Number(f[12])) / TICKS_PER_S };
  } catch {
    return null; // gone meanwhile
  }
}

function processes(): Map<number, Stat> {
  const all = new Map<number, Stat>();
  for (const e of readdirSync('/proc')) {
    const s = /^\d+$/.test(e) ? stat(`/proc/${e}/stat`) : null;
    if (s) all.set(Number(e), s);
  }
  return all;
}

/** CPU seconds of one process: all its threads, and its main thread (for a renderer: where page scripts run). */
export type ProcessCpu = { total: number; main: number; renderer: boolean };

/** Every live process under `root` (itself included). */
export function cpuOfTree(root: number): Map<number, ProcessCpu> {
  const all = processes();
  const out = new Map<number, ProcessCpu>();
  const walk = (pid: number) => {
    const s = all.get(pid);
    if (!s || out.has(pid)) return;
    let renderer = false;
    try {
      renderer = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer');
    } catch {
      // gone meanwhile
    }
    out.set(pid, { total: s.seconds, main: stat(`/proc/${pid}/task/${pid}/stat`)?.seconds ?? 0, renderer });
    for (const [child, c] of all) if (c.ppid === pid) walk(child);
  };
  walk(root);
  return out;
}

/** Direct children of `pid` now. */
export function childrenOf(pid: number): number[] {
  return [...processes()].filter(([, s]) => s.ppid === pid).map(([p]) => p);
}

/** CPU seconds spent between two readings of one tree: in all, and on renderer main threads. */
export function cpuSpent(before: Map<number, ProcessCpu>, after: Map<number, ProcessCpu>): { total: number; rendererMain: number } {
  let total = 0;
  let rendererMain = 0;
  for (const [pid, a] of after) {
    const b = before.get(pid);
    total += a.total - (b?.total ?? 0);
    if (a.renderer) rendererMain += a.main - (b?.main ?? 0);
  }
  return { total, rendererMain };
}
