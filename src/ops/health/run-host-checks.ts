import type { HostCheck } from "../../config/jobs-config.js";
import { parseDf, parseMemAvailable } from "../adapters/get-host-resources.js";
import type { HostShell } from "../adapters/host-shell.js";
import type { CheckResult } from "./alert-state.js";

/** A fixed script (the path is `$1`): disk use, memory, load and CPU count in one round trip. */
const METRICS_SCRIPT = 'df -Pk -- "$1"; echo @@; cat /proc/meminfo; echo @@; cat /proc/loadavg; echo @@; nproc';

export interface HostMetrics {
  diskUsePercent: number;
  availableMemoryMb: number;
  load1: number;
  cpus: number;
}

export async function readHostMetrics(host: HostShell, path: string): Promise<HostMetrics> {
  const r = await host.exec(["sh", "-c", METRICS_SCRIPT, "sh", path], { timeoutMs: 20_000 });
  const [df = "", meminfo = "", loadavg = "", nproc = ""] = r.stdout.split("@@\n");
  const load1 = Number(loadavg.trim().split(/\s+/)[0]);
  const cpus = Number(nproc.trim());
  if (!Number.isFinite(load1) || !Number.isInteger(cpus) || cpus < 1) throw new Error(`${host.name}: unexpected /proc/loadavg or nproc output`);
  return { diskUsePercent: parseDf(host.name, df).diskUsePercent, availableMemoryMb: parseMemAvailable(host.name, meminfo), load1, cpus };
}

/**
 * Threshold checks of one host over its shell: disk use (warning / critical), available memory,
 * load per CPU. When the host cannot be reached, only `host:<name>:ssh` fails; the others keep
 * their last state rather than all alerting at once.
 */
export async function runHostChecks(check: HostCheck, host: HostShell): Promise<CheckResult[]> {
  const id = `host:${check.host}`;
  let m: HostMetrics;
  try {
    m = await readHostMetrics(host, check.path);
  } catch (err) {
    return [{ id: `${id}:ssh`, label: `host ${check.host} reachable`, ok: false, detail: `cannot read metrics: ${(err as Error).message.slice(0, 200)}` }];
  }
  const disk: CheckResult =
    m.diskUsePercent >= check.disk_crit
      ? { id: `${id}:disk`, label: `disk on ${check.host} (${check.path})`, ok: false, severity: "critical", detail: `disk ${m.diskUsePercent} % used (critical at ${check.disk_crit} %)` }
      : m.diskUsePercent >= check.disk_warn
        ? { id: `${id}:disk`, label: `disk on ${check.host} (${check.path})`, ok: false, severity: "warning", detail: `disk ${m.diskUsePercent} % used (warning at ${check.disk_warn} %)` }
        : { id: `${id}:disk`, label: `disk on ${check.host} (${check.path})`, ok: true, detail: `disk ${m.diskUsePercent} % used` };
  const perCpu = m.load1 / m.cpus;
  return [
    { id: `${id}:ssh`, label: `host ${check.host} reachable`, ok: true, detail: "metrics read" },
    disk,
    m.availableMemoryMb < check.mem_min_mb
      ? { id: `${id}:memory`, label: `memory on ${check.host}`, ok: false, severity: "critical", detail: `${m.availableMemoryMb} MB available (minimum ${check.mem_min_mb} MB)` }
      : { id: `${id}:memory`, label: `memory on ${check.host}`, ok: true, detail: `${m.availableMemoryMb} MB available` },
    perCpu > check.load_per_cpu
      ? { id: `${id}:load`, label: `load on ${check.host}`, ok: false, severity: "warning", detail: `load ${m.load1} on ${m.cpus} CPU(s) (limit ${check.load_per_cpu} per CPU)` }
      : { id: `${id}:load`, label: `load on ${check.host}`, ok: true, detail: `load ${m.load1} on ${m.cpus} CPU(s)` },
  ];
}
