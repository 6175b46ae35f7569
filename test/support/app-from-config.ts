import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { App } from "../../src/app.js";
import type { Actor, Command, Reply } from "../../src/core/command.js";
import { createTestApp } from "./test-app.js";

export interface AppUnderTest {
  app: App;
  dir: string;
  logText(): string;
  /** Dispatch a command built field by field (no parser in between) and collect what it sent. */
  dispatch(name: string, args: string[], actor?: Actor): Promise<{ final: Reply; messages: Reply[] }>;
  close(): Promise<void>;
}

export const localAdmin: Actor = { platform: "console", id: "local", name: "local" };

/**
 * The whole app (every real handler, router, audit log, store) built from a config whose hosts are
 * this machine (`type: local`) and whose paths all sit in one temp dir. Nothing here reaches a
 * remote host unless a test runs a command that does.
 */
export async function createAppFromConfig(): Promise<AppUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), "opsdeck-app-"));
  const yaml = `data_dir: ${dir}/data
log_level: debug
http: { enabled: false }
hosts:
  local: { type: local, command_timeout: 30s }
previews:
  host: local
  base_dir: ${dir}/previews
  domain: localhost
  url: "http://{hostname}"
  template: templates/preview/docker-compose.yml
  image: "nginx:{ref}"
  default_ref: 1.27-alpine
dns: { provider: none }
access:
  roles: { admin: ["console:local"] }
  rules: {}
environments:
  staging: { host: local, compose_dir: ${dir}/staging, project: h9-staging }
  preprod: { host: local, compose_dir: ${dir}/preprod, project: h9-preprod }
  prod: { host: local, compose_dir: ${dir}/prod, project: h9-prod, protected: true, approval: { approvers: [admin] } }
backups:
  prod:
    host: local
    dump_dir: ${dir}/dumps
    seed_dir: ${dir}/seed
    databases: [{ name: shop, host: 127.0.0.1, port: 5432, user: backup }]
seed:
  preprod:
    source_env: prod
    source_host: local
    seed_dir: ${dir}/seed
    target_host: local
    databases: [{ name: shop_preprod, source_name: shop, user: app }]
    app_services: { compose_dir: ${dir}/preprod, project: h9-preprod, services: [web] }
runbooks:
  disk-full:
    description: Free disk space
    steps:
      - { name: look, host: local, command: [df, -h] }
`;
  const t = await createTestApp({ config: yaml });
  const { app } = t;
  return {
    app,
    dir,
    logText: t.logText,
    async dispatch(name, args, actor = localAdmin) {
      const messages: Reply[] = [];
      const command: Command = {
        name,
        args,
        text: `/${name} ${args.join(" ")}`.trim(),
        actor,
        channelId: "test",
        respond: async (r) => {
          messages.push(r);
        },
        update: async (r) => {
          messages.push(r);
        },
      };
      const final = await app.router.dispatch(command);
      return { final, messages };
    },
    async close() {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
