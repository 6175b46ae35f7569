import { mkdtemp, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalHostShell } from "../../src/ops/adapters/local-host-shell.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { uniqueName } from "../support/test-env.js";
import { shellContract } from "./shell-contract.js";

describe("local host shell", () => {
  let shell: HostShell;
  let dir: string;
  beforeAll(async () => {
    shell = createLocalHostShell({ name: "local", commandTimeoutMs: 30_000 });
    dir = await mkdtemp(join(tmpdir(), "opsdeck-local-shell-"));
  });
  afterAll(async () => {
    await shell.close();
    await rm(dir, { recursive: true, force: true });
  });

  shellContract({ shell: () => shell, scratchDir: () => dir });

  it("resolves ~/ against the home directory", async () => {
    const name = uniqueName("home-file");
    try {
      await shell.writeFile(`~/${name}`, "hi", 0o600);
      expect(await shell.readFile(join(homedir(), name))).toBe("hi");
      expect((await shell.exec(["pwd"], { cwd: "~/" })).stdout.trim()).toBe(homedir());
    } finally {
      await rm(join(homedir(), name), { force: true });
    }
  });
});
