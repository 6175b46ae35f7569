import { existsSync, statfsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpsError } from "../../src/core/errors.js";
import { getHostResources, parseDf, parseMemAvailable } from "../../src/ops/adapters/get-host-resources.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { createLocalHostShell } from "../../src/ops/adapters/local-host-shell.js";
import { createSshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { loadTestEnv, uniqueName } from "../support/test-env.js";

const env = loadTestEnv();

function plausible(shellFn: () => HostShell, path: () => string): void {
  it("measures free disk and memory", async () => {
    const r = await getHostResources(shellFn(), path());
    expect(r.freeDiskMb).toBeGreaterThan(0);
    expect(r.diskUsePercent).toBeGreaterThanOrEqual(0);
    expect(r.diskUsePercent).toBeLessThanOrEqual(100);
    expect(r.availableMemoryMb).toBeGreaterThan(0);
    // Same filesystem as seen from here (the SSH host is this machine).
    const fs = statfsSync(path());
    const freeMb = (fs.bavail * fs.bsize) / 1024 / 1024;
    expect(Math.abs(r.freeDiskMb - freeMb)).toBeLessThan(Math.max(512, freeMb * 0.05));
  });

  it("walks up from a path that does not exist yet, and takes a hostile path literally", async () => {
    const r = await getHostResources(shellFn(), `${path()}/${uniqueName("not-yet")}/a/b`);
    expect(r.freeDiskMb).toBeGreaterThan(0);
    const canary = `/tmp/${uniqueName("canary")}`;
    const hostile = await getHostResources(shellFn(), `${path()}/$(touch ${canary})/"; touch ${canary}`);
    expect(hostile.freeDiskMb).toBeGreaterThan(0);
    expect(existsSync(canary)).toBe(false);
  });

  it("understands ~/", async () => {
    expect((await getHostResources(shellFn(), "~/some/new/dir")).freeDiskMb).toBeGreaterThan(0);
  });
}

describe("host resources, local", () => {
  const shell = createLocalHostShell({ name: "local", commandTimeoutMs: 10_000 });
  plausible(() => shell, () => "/tmp");
});

describe("host resources, over SSH", () => {
  let shell: HostShell;
  beforeAll(() => {
    shell = createSshHostShell({ name: "testhost", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 10_000 });
  });
  afterAll(() => shell.close());
  plausible(() => shell, () => env.previewsDir);
});

describe("strict parsing", () => {
  it("parses df -Pk and /proc/meminfo", () => {
    const df = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/sda1         41152736 20123456  19123456      52% /srv/my data\n";
    expect(parseDf("h", df)).toEqual({ freeDiskMb: Math.floor(19123456 / 1024), diskUsePercent: 52 });
    expect(parseMemAvailable("h", "MemTotal:  16000000 kB\nMemFree: 100 kB\nMemAvailable:    8192000 kB\n")).toBe(8000);
  });

  it("throws OpsError on anything unexpected", () => {
    for (const bad of ["", "Filesystem 1K-blocks Used Available Use% Mounted on\n/dev/x 1 2 3 4% /\n", "Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/x 1 2 x 4% /\n"]) {
      expect(() => parseDf("h", bad)).toThrow(OpsError);
    }
    expect(() => parseMemAvailable("h", "MemTotal: 1 kB\n")).toThrow(OpsError);
    expect(() => parseMemAvailable("h", "garbage")).toThrow(OpsError);
  });
});
