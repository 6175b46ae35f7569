import { stdin, stdout, stderr } from "node:process";
import { runInteractive, runOnce } from "./bot/console/console-adapter.js";
import { parseCliArgs, USAGE } from "./cli-args.js";
import { defaultConfigPath, loadConfig } from "./config/load-config.js";
import { ConfigError, OpsError, StateError } from "./core/errors.js";

/** Exit codes: 0 ok, 1 command failed, 2 usage, 75 state problem, 78 bad config. */
async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseCliArgs(argv, defaultConfigPath());
  } catch (err) {
    stderr.write(`opsdeck: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.mode === "help") {
    stdout.write(`${USAGE}\n`);
    return 0;
  }
  const loaded = loadConfig(args.configPath);
  if (args.mode === "check-config") {
    stdout.write(`config ${loaded.path} is valid\n`);
    return 0;
  }
  if (args.mode === "trust-host") {
    const { runTrustHost } = await import("./cli-trust-host.js");
    stdout.write(`${await runTrustHost(loaded, args.host ?? "", args.fingerprint ?? "")}\n`);
    return 0;
  }
  // Loaded lazily so `check-config` and `--help` do not pay for (or depend on) every adapter.
  const { createApp } = await import("./app.js");
  const app = await createApp({ loaded });
  const { config } = loaded;
  let shuttingDown = false;
  const shutdown = async (): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    await app.close();
  };
  try {
    if (args.mode === "run") {
      await app.reportStartup();
      return await runOnce(args.text ?? "", { dispatch: app.router.dispatch, user: config.console.user, input: stdin, output: stdout, errorOutput: stderr });
    }
    // Metrics from the start when /metrics is served (a one-shot `run` never imports prom-client).
    if (config.http.enabled) await app.metrics.load();
    const { startHttpServer } = await import("./core/http-server.js");
    const http = config.http.enabled ? await startHttpServer({ host: config.http.host, port: config.http.port, metrics: app.metrics, routes: app.httpRoutes, isLivePreviewHost: app.isLivePreviewHost }) : undefined;
    if (http) app.log.info({ port: http.port, routes: app.httpRoutes.map((r) => r.path) }, "http server listening (/healthz, /metrics)");
    const { startChatAdapters } = await import("./bot/start-chat-adapters.js");
    const chat = await startChatAdapters({ chat: config.chat, dispatch: app.router.dispatch, log: app.log, redact: app.redact, store: app.store, alertTargets: app.alertTargets });
    await app.reportStartup();
    await app.startJobs();
    const stopAll = async (): Promise<void> => {
      await chat.stop();
      await http?.close();
      await shutdown();
    };
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      process.once(sig, () => {
        app.log.info({ signal: sig }, "shutting down");
        void stopAll().then(() => process.exit(0));
      });
    }
    const consoleOn = config.console.enabled && (chat.platforms.length === 0 || stdin.isTTY === true);
    if (consoleOn) {
      await runInteractive({ dispatch: app.router.dispatch, user: config.console.user, input: stdin, output: stdout });
      await stopAll();
      return 0;
    }
    if (chat.platforms.length === 0) {
      stderr.write("opsdeck: no chat platform is enabled and the console is off; nothing to listen on\n");
      return 2;
    }
    // Chat adapters and jobs keep the process alive until a signal arrives.
    await new Promise<never>(() => {});
    return 0;
  } finally {
    await shutdown();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      stderr.write(`opsdeck: ${err.message}\n`);
      process.exit(78);
    }
    if (err instanceof OpsError) {
      // Start-up problems that are not config syntax (a missing secret variable, an unreachable
      // host…): say what and what to do, without a stack trace.
      stderr.write(`opsdeck: ${err.message}\n  → ${err.nextStep}\n`);
      process.exit(78);
    }
    if (err instanceof StateError) {
      stderr.write(`opsdeck: ${err.message}\n`);
      process.exit(75);
    }
    stderr.write(`opsdeck: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(70);
  },
);
