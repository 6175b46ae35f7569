// The app the three `*-approval-restart` tests build twice over one data dir: a protected `prod`
// on this machine, one identity that may deploy and another that approves.
import { Writable } from "node:stream";
import { join } from "node:path";
import type { DestinationStream } from "pino";
import { createApp, type App } from "../../src/app.js";
import { parseConfig } from "../../src/config/load-config.js";

const quiet = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as DestinationStream; // a Writable is a valid pino destination

/** The config: `deployer` may run /deploy, `approver` approves prod; state under `<dir>/data`. */
export function approvalRestartYaml(dir: string, ids: { deployer: string; approver: string }): string {
  return `data_dir: ${dir}/data
log_level: warn
http: { enabled: false }
hosts:
  local: { type: local, command_timeout: 10s }
dns: { provider: none }
access:
  roles: { deployer: ["${ids.deployer}"], approver: ["${ids.approver}"] }
  rules: { deploy: [deployer] }
environments:
  prod: { host: local, compose_dir: ${dir}/prod, project: restart-prod, lock_dir: ${dir}/prod, protected: true, approval: { approvers: [approver] } }
`;
}

/** One start of the app over `dir` (logs discarded). */
export function createApprovalRestartApp(dir: string, yaml: string): Promise<App> {
  return createApp({ loaded: { config: parseConfig(yaml, "test config"), path: join(dir, "opsdeck.yaml"), baseDir: process.cwd() }, env: {}, logDestination: quiet });
}
