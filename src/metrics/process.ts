import { readdirSync } from 'node:fs';
import { family, type MetricFamily } from './exposition.js';

const startSeconds = Math.floor(Date.now() / 1000 - process.uptime());

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** The standard process metrics (names as Prometheus client libraries give them). */
export function processMetrics(): MetricFamily[] {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const fds = openFds();
  return [
    family('process_cpu_user_seconds_total', 'counter', 'User CPU time spent in seconds.', [{ value: cpu.user / 1e6 }]),
    family('process_cpu_system_seconds_total', 'counter', 'System CPU time spent in seconds.', [{ value: cpu.system / 1e6 }]),
    family('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', [{ value: (cpu.user + cpu.system) / 1e6 }]),
    family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [{ value: mem.rss }]),
    family('process_heap_bytes', 'gauge', 'Process heap size (V8 heap used) in bytes.', [{ value: mem.heapUsed }]),
    family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', [{ value: startSeconds }]),
    ...(fds === undefined ? [] : [family('process_open_fds', 'gauge', 'Number of open file descriptors.', [{ value: fds }])]),
  ];
}
