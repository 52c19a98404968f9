/** What a process on this machine has used, read from /proc (Linux): CPU time and memory. */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** CPU time (user + system) the process has used so far, in milliseconds. */
export function cpuMsOf(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Resident memory of the process, in MB. */
export function residentMbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

/** CPU used by each named process while `work` runs, and the wall time it took. */
export async function cpuDuring<T>(
  pids: Record<string, number>,
  work: () => Promise<T>,
): Promise<{ result: T; wallMs: number; cpuMs: Record<string, number> }> {
  const before = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, cpuMsOf(pid)]),
  );
  const started = performance.now();
  const result = await work();
  const wallMs = performance.now() - started;
  const cpuMs = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, cpuMsOf(pid) - (before[name] ?? 0)]),
  );
  return { result, wallMs, cpuMs };
}
