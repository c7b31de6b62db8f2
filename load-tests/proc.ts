/** What /proc says of a process (Linux): its resident memory and the CPU time it has used. */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ, 100 on Linux). */
export const CLK_TCK = 100;

export type Probe = { rssKiB: number; cpuTicks: number };

export function probe(pid: number): Probe {
  const rssKiB = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  // Fields after the command name: state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssKiB, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}
