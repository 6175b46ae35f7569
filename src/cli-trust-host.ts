import { resolveConfigPath, type LoadedConfig } from "./config/load-config.js";
import { OpsError } from "./core/errors.js";
import { trustHostKey } from "./ops/adapters/host-key-pins.js";
import { lockDataDir } from "./store/data-dir-lock.js";
import { openStore } from "./store/store.js";

/**
 * `opsdeck trust-host <host> <fingerprint>`: accept a changed SSH host key after checking it on
 * the host. Takes the data-directory lock, so it refuses to run beside a running bot (whose
 * in-memory state would overwrite the change).
 */
export async function runTrustHost(loaded: LoadedConfig, host: string, fingerprint: string): Promise<string> {
  const hostConfig = Object.hasOwn(loaded.config.hosts, host) ? loaded.config.hosts[host] : undefined;
  if (hostConfig?.type !== "ssh") {
    const ssh = Object.entries(loaded.config.hosts).filter(([, h]) => h.type === "ssh").map(([n]) => n);
    throw new OpsError("not_found", `no SSH host named ${host.slice(0, 40)} in ${loaded.path}`, ssh.length > 0 ? `SSH hosts in the config: ${ssh.join(", ")}.` : "The config has no SSH hosts.");
  }
  const dataDir = resolveConfigPath(loaded, loaded.config.data_dir);
  const lock = await lockDataDir(dataDir);
  try {
    const store = await openStore(dataDir);
    const previous = await trustHostKey(store, host, fingerprint);
    const note = hostConfig.host_key_fingerprint ? ` (hosts.${host}.host_key_fingerprint in the config still wins over the pin)` : "";
    return previous === undefined ? `pinned ${fingerprint} for ${host}${note}` : `pinned ${fingerprint} for ${host}, replacing ${previous}${note}`;
  } finally {
    await lock.release();
  }
}
