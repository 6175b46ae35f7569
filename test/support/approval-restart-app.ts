// The app the three `*-approval-restart` tests build twice over one data dir: a protected `prod`
// on this machine, one identity that may deploy and another that approves.
import type { App } from "../../src/app.js";
import { createTestApp } from "./test-app.js";

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

/** One start of the app over `dir` (logs kept in memory); closed once, by the test or when the file ends. */
export async function createApprovalRestartApp(yaml: string): Promise<App> {
  const t = await createTestApp({ config: yaml });
  return { ...t.app, close: t.close };
}

/** What the restart tests need of a chat adapter. */
interface RestartAdapter {
  start(): Promise<void>;
  stop(): Promise<void>;
  alertTarget: App["alertTargets"][number];
}

/** One start of the app with a chat adapter built by `makeAdapter` on it, started and posting alerts. */
export async function startWithAdapter<A extends RestartAdapter>(yaml: string, makeAdapter: (app: App) => A): Promise<{ app: App; adapter: A; stop(): Promise<void> }> {
  const app = await createApprovalRestartApp(yaml);
  const adapter = makeAdapter(app);
  await adapter.start();
  app.alertTargets.push(adapter.alertTarget);
  return {
    app,
    adapter,
    async stop() {
      await adapter.stop();
      await app.close();
    },
  };
}
