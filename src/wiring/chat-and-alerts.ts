import { createAlertNotifier } from "../bot/alert-notifier.js";
import { readSecretEnv } from "../config/load-config.js";
import type { Config } from "../config/schema.js";
import { secretEnvNames } from "../config/secret-env-names.js";
import type { Reply } from "../core/command.js";
import type { Logger } from "../core/logger.js";
import type { AlertTarget, Notifier } from "../core/notifier.js";
import type { Redactor } from "../core/redact.js";
import { Secret } from "../core/secret.js";
import { createHostKeyPins, type HostKeyPins } from "../ops/adapters/host-key-pins.js";
import type { Store } from "../store/store.js";

export interface ChatAndAlertsOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  store: Store;
  log: Logger;
  redact: Redactor;
  /** Extra alert-channel targets (chat adapters add theirs); the log always records alerts. */
  alertTargets?: AlertTarget[];
}

export interface ChatAndAlerts {
  alertTargets: AlertTarget[];
  notifier: Notifier;
  hostKeys: HostKeyPins;
  /** Read a secret by variable name and make sure it can never be printed. */
  readSecret(name: string): Secret | undefined;
  /** Start-up is over: post the host-key notices held back so far, send later ones at once. */
  releaseEarlyNotices(): Promise<void>;
}

/** The alert channel, the secrets (registered with the redactor up front) and the host-key pins. */
export function createChatAndAlerts(options: ChatAndAlertsOptions): ChatAndAlerts {
  const { config, env, store, log, redact } = options;
  const logTarget: AlertTarget = {
    platform: "log",
    post: async (reply) => log.warn({ alert: reply.title, lines: reply.lines }, "alert"),
  };
  const alertTargets: AlertTarget[] = [logTarget, ...(options.alertTargets ?? [])];
  const notifier = createAlertNotifier(alertTargets, { log, redact });
  // Host-key notices from connections opened during start-up wait for `reportStartup`, like the
  // other start-up reports, so they reach the chat alert channels.
  const earlyHostKeyNotices: Reply[] = [];
  let startupReported = false;
  const hostKeys = createHostKeyPins({
    store,
    notify: async (reply) => {
      if (startupReported) await notifier.notify(reply);
      else earlyHostKeyNotices.push(reply);
    },
  });
  const readSecret = (name: string): Secret | undefined => {
    const v = readSecretEnv(name, env);
    if (!v) return undefined;
    redact.add(v);
    return new Secret(v);
  };
  // Register every configured secret now, whatever runs later (see secretEnvNames). A value
  // the feature itself would refuse (too short) is left to that feature's own error.
  for (const name of secretEnvNames(config)) {
    try {
      readSecret(name);
    } catch {
      /* reported by the feature that needs it */
    }
  }
  return {
    alertTargets,
    notifier,
    hostKeys,
    readSecret,
    async releaseEarlyNotices() {
      startupReported = true;
      for (const notice of earlyHostKeyNotices.splice(0)) await notifier.notify(notice);
    },
  };
}
