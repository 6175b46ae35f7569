import { readFileSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpsError } from "../../src/core/errors.js";
import { createSshHostShell, sshKeyFingerprint, type SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { loadTestEnv, uniqueName } from "../support/test-env.js";
import { shellContract } from "./shell-contract.js";

const env = loadTestEnv();

function makeShell(extra: { hostKeyFingerprint?: string } = {}): SshHostShell {
  return createSshHostShell({
    name: "testhost",
    address: env.sshHost,
    port: env.sshPort,
    user: env.sshUser,
    keyPath: env.sshKeyPath,
    commandTimeoutMs: 30_000,
    ...extra,
  });
}

/** The TCP connection a command ran on, as the server saw it: "client_ip client_port server_ip server_port". */
async function connectionOf(shell: SshHostShell): Promise<string> {
  const r = await shell.exec(["sh", "-c", 'printf %s "$SSH_CONNECTION"']);
  expect(r.stdout).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+$/);
  return r.stdout;
}

describe("ssh host shell", () => {
  let shell: SshHostShell;
  const dir = `${env.previewsDir}/${uniqueName("ssh-shell")}`;
  beforeAll(async () => {
    shell = makeShell();
    await shell.exec(["mkdir", "-p", dir]);
  });
  afterAll(async () => {
    await shell.exec(["rm", "-rf", "--", dir]).catch(() => {});
    await shell.close();
  });

  shellContract({ shell: () => shell, scratchDir: () => dir });

  it("resolves ~/ against the remote home", async () => {
    const rel = `${dir.replace(/^\/home\/opsdeck\//, "~/")}/home-file`;
    expect(rel.startsWith("~/")).toBe(true);
    await shell.writeFile(rel, "hi", 0o600);
    expect(await shell.readFile(`${dir}/home-file`)).toBe("hi");
    expect(await shell.readFile(rel)).toBe("hi");
    expect((await shell.exec(["pwd"], { cwd: "~/" })).stdout.trim()).toBe("/home/opsdeck");
  });

  it("creates the file with its final mode: a secret file is never readable by others, even while written", async () => {
    const sub = `${dir}/${uniqueName("mode")}`;
    await shell.exec(["mkdir", "-p", sub]);
    const modes = new Set<string>();
    let writing = true;
    const watch = (async () => {
      while (writing) {
        for (const f of await readdir(sub).catch(() => [] as string[])) {
          const st = await stat(`${sub}/${f}`).catch(() => null);
          if (st) modes.add(`${f.endsWith(".tmp") ? "tmp" : "final"}:${(st.mode & 0o777).toString(8)}`);
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    await shell.writeFile(`${sub}/.env`, "S=".padEnd(20_000_000, "x"), 0o600);
    writing = false;
    await watch;
    expect(modes.has("tmp:600")).toBe(true); // we did catch the temp file while it was written
    expect([...modes].every((m) => m.endsWith(":600"))).toBe(true);
  });

  it("runs concurrent commands over one shared connection", async () => {
    const fresh = makeShell();
    try {
      const seen = await Promise.all(Array.from({ length: 20 }, () => connectionOf(fresh)));
      expect(new Set(seen).size).toBe(1);
      expect(await connectionOf(fresh)).toBe(seen[0]);
    } finally {
      await fresh.close();
    }
  });

  it("reconnects on the next call after the server drops the connection", async () => {
    const fresh = makeShell();
    try {
      const before = await connectionOf(fresh);
      // Kill this connection's own sshd session process from the server side; other tests'
      // connections are untouched. The command itself fails: its connection went away.
      const counter = `${dir}/${uniqueName("ran")}`;
      const err = await fresh.exec(["sh", "-c", 'echo x >> "$1"; kill -9 $PPID; sleep 5', "sh", counter]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpsError);
      expect((err as Error).message).toMatch(/dropped while it ran/);
      expect(await shell.readFile(counter)).toBe("x\n"); // ran once: a started command is not retried
      const after = await connectionOf(fresh);
      expect(after).not.toBe(before);
      expect((await fresh.exec(["echo", "ok"])).stdout).toBe("ok\n");
    } finally {
      await fresh.close();
    }
  });

  it("retries a command that never started because the connection was already going away", async () => {
    const fresh = makeShell();
    try {
      const before = await connectionOf(fresh);
      (await fresh.connection()).end(); // no 'close' event yet when the next call starts
      const after = await connectionOf(fresh);
      expect(after).not.toBe(before);
    } finally {
      await fresh.close();
    }
  });

  it("reconnects after close() too", async () => {
    const fresh = makeShell();
    const first = await connectionOf(fresh);
    await fresh.close();
    const second = await connectionOf(fresh);
    expect(second).not.toBe(first);
    await fresh.close();
  });

  it("verifies the host key fingerprint when one is configured", async () => {
    const line = readFileSync(env.knownHostsPath, "utf8")
      .split("\n")
      .find((l) => l.includes(" ssh-ed25519 "));
    const blob = Buffer.from(line?.split(" ")[2] ?? "", "base64");
    const good = makeShell({ hostKeyFingerprint: sshKeyFingerprint(blob) });
    try {
      expect((await good.exec(["echo", "ok"])).stdout).toBe("ok\n");
    } finally {
      await good.close();
    }
    const bad = makeShell({ hostKeyFingerprint: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    const err = await bad.exec(["echo", "ok"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe("config");
    expect((err as Error).message).toContain(sshKeyFingerprint(blob));
    await bad.close();
  });

  it("fails clearly when the host cannot be reached", async () => {
    const unreachable = createSshHostShell({ name: "nowhere", address: "127.0.0.1", port: 1, user: "opsdeck", keyPath: env.sshKeyPath, commandTimeoutMs: 5000 });
    const err = await unreachable.exec(["true"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as Error).message).toMatch(/nowhere: cannot connect to opsdeck@127\.0\.0\.1:1/);
    await unreachable.close();
  });
});
