// The whole app, built by `createApp` (the production wiring under src/wiring/), from a config
// object with test options: its data dir, host connections to the loopback sshd, the approvals'
// clock, extra alert targets, the log captured in memory. Closed when the test file ends.
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import type { DestinationStream } from "pino";
import { createApp, type App, type AppOptions } from "../../src/app.js";
import { parseConfig } from "../../src/config/load-config.js";
import type { Config } from "../../src/config/schema.js";
import { atFileEnd, tempDir } from "./temp-dir.js";

export interface TestAppOptions extends Omit<AppOptions, "loaded" | "logDestination"> {
  /** The config as an object (what the YAML would hold; `data_dir` defaults to `dataDir`), or YAML text used as it is. */
  config: Record<string, unknown> | string;
  /** The data dir (with an object config); default a fresh temp dir (removed when the test file ends). */
  dataDir?: string;
}

export interface TestApp {
  app: App;
  /** The parsed config the app was built from. */
  config: Config;
  dataDir: string;
  /** Everything the app logged. */
  logText(): string;
  /** Close the app (once; also done when the test file ends). */
  close(): Promise<void>;
}

export async function createTestApp(options: TestAppOptions): Promise<TestApp> {
  const { config: raw, dataDir: givenDir, ...appOptions } = options;
  const config = typeof raw === "string" ? parseConfig(raw, "test config") : parseConfig(JSON.stringify({ data_dir: givenDir ?? tempDir("opsdeck-app-"), ...raw }), "test config");
  const dataDir = resolve(config.data_dir);
  let logged = "";
  const logDestination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logged += chunk.toString();
      cb();
    },
  }) as unknown as DestinationStream; // a Writable is a valid pino destination
  const app = await createApp({ env: {}, ...appOptions, loaded: { config, path: join(dataDir, "opsdeck.yaml"), baseDir: process.cwd() }, logDestination });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= app.close());
  atFileEnd(close);
  return { app, config, dataDir, logText: () => logged, close };
}
