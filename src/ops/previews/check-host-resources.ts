import type { ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { PreviewContext } from "./preview-context.js";

/** Refuse a deploy when the host has less free disk (under the base directory) or memory than configured. */
export async function checkHostResources(ctx: PreviewContext, progress: ProgressFn): Promise<void> {
  const { config, host } = ctx;
  await ctx.say(progress, `Checking free disk and memory on ${host.name}…`);
  const baseDir = ctx.baseDir();
  const r = await ctx.getResources(host, baseDir);
  if (r.freeDiskMb < config.min_free_disk_mb) {
    throw new OpsError("resources", `host ${host.name} has ${r.freeDiskMb} MB of free disk under ${baseDir}; a preview needs at least ${config.min_free_disk_mb} MB`, "Free disk space (destroy old previews: /preview list), or lower previews.min_free_disk_mb.");
  }
  if (r.availableMemoryMb < config.min_free_memory_mb) {
    throw new OpsError("resources", `host ${host.name} has ${r.availableMemoryMb} MB of memory available; a preview needs at least ${config.min_free_memory_mb} MB`, "Destroy a preview you no longer need (/preview list), or lower previews.min_free_memory_mb.");
  }
}
