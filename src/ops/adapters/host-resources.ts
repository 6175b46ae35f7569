/** Free resources on a host, as measured by `df` and `/proc/meminfo` through the host shell. */
export interface HostResources {
  /** Free disk (MB) on the filesystem holding the given path. */
  freeDiskMb: number;
  /** Disk use in percent on that filesystem. */
  diskUsePercent: number;
  /** MemAvailable in MB. */
  availableMemoryMb: number;
}
