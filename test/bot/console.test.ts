import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { runInteractive, runOnce } from "../../src/bot/console/console-adapter.js";
import type { Handler } from "../../src/handlers/handler.js";
import { createHarness } from "../support/router-harness.js";

function sink(): { stream: Writable; text: () => string } {
  let buf = "";
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => buf };
}

function boxHandler(created: string[]): Handler {
  return {
    name: "box",
    summary: "make and remove boxes",
    usage: ["/box <name>", "/box remove <name> [--yes]"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: () => ({ key: "box", readOnly: false }),
    async run(cmd, progress) {
      if (cmd.args[0] === "remove") {
        if (cmd.args[2] !== "--yes") {
          return {
            status: "warning",
            title: `remove ${cmd.args[1]}?`,
            buttons: [{ command: `/box remove ${cmd.args[1]} --yes`, label: "Remove", style: "danger", confirm: "Really remove it?" }],
          };
        }
        created.splice(created.indexOf(cmd.args[1] ?? ""), 1);
        return { status: "success", title: `removed ${cmd.args[1]}` };
      }
      await progress("building the box");
      created.push(cmd.args[0] ?? "");
      return { status: "success", title: `box ${cmd.args[0]} ready`, fields: [{ label: "size", value: "small" }], buttons: [{ command: `/box remove ${cmd.args[0]}`, label: "Remove" }] };
    },
  };
}

describe("console adapter", () => {
  it("one-shot mode prints the final reply on stdout, progress on stderr, and exits 1 on failure", async () => {
    const created: string[] = [];
    const h = await createHarness({ handlers: [boxHandler(created)] });
    const out = sink();
    const err = sink();
    const code = await runOnce("/box red", { dispatch: h.router.dispatch, user: "local", input: new PassThrough(), output: out.stream, errorOutput: err.stream });
    expect(code).toBe(0);
    expect(out.text()).toContain("✔ box red ready");
    expect(out.text()).toContain("[1] Remove  (/box remove red)");
    expect(err.text()).toContain("building the box");
    expect(out.text()).not.toContain("building the box");
    const bad = sink();
    expect(await runOnce("/bx red", { dispatch: h.router.dispatch, user: "local", input: new PassThrough(), output: bad.stream })).toBe(1);
    expect(bad.text()).toContain("Did you mean /box?");
    expect(created).toEqual(["red"]);
  });

  it("interactive mode runs commands, offers buttons as numbered choices and asks before a confirm button", async () => {
    const created: string[] = [];
    const h = await createHarness({ handlers: [boxHandler(created)] });
    const input = new PassThrough();
    const out = sink();
    const done = runInteractive({ dispatch: h.router.dispatch, user: "local", input, output: out.stream });
    const type = async (line: string): Promise<void> => {
      input.write(`${line}\n`);
      await new Promise((r) => setTimeout(r, 60));
    };
    await type("/help");
    await type("box blue"); // the slash is optional at the prompt
    await type("1"); // Remove → asks to confirm (second reply)
    await type("1"); // the danger button with confirm
    expect(created).toEqual(["blue"]);
    await type("n");
    expect(created).toEqual(["blue"]);
    expect(out.text()).toContain("cancelled");
    await type("1");
    await type("y");
    expect(created).toEqual([]);
    await type("7");
    input.end();
    await done;
    const text = out.text();
    expect(text).toContain("/box — make and remove boxes");
    expect(text).toContain("✔ box blue ready");
    expect(text).toContain("Really remove it? Type y to confirm.");
    expect(text).toContain("✔ removed blue");
  });

  it("interactive mode runs commands concurrently: a long one does not block what is typed meanwhile", async () => {
    const created: string[] = [];
    let finishSlow: () => void = () => undefined;
    const slowDone = new Promise<void>((resolve) => (finishSlow = resolve));
    const slow: Handler = {
      name: "slow",
      summary: "takes its time",
      usage: ["/slow"],
      prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
      permission: () => ({ key: "slow", readOnly: true }),
      async run(_cmd, progress) {
        await progress("slow step 1");
        await slowDone;
        await progress("slow step 2");
        return { status: "success", title: "slow finished" };
      },
    };
    const h = await createHarness({ handlers: [boxHandler(created), slow] });
    const input = new PassThrough();
    const out = sink();
    const done = runInteractive({ dispatch: h.router.dispatch, user: "local", input, output: out.stream });
    const type = async (line: string): Promise<void> => {
      input.write(`${line}\n`);
      await new Promise((r) => setTimeout(r, 60));
    };
    await type("/slow");
    await type("/box red"); // runs and finishes while /slow still waits
    expect(created).toEqual(["red"]);
    expect(out.text()).not.toContain("slow finished");
    finishSlow();
    input.end();
    await done; // waits for /slow
    const text = out.text();
    for (const line of ["[/slow] … slow step 1", "[/slow] … slow step 2", "[/box red] … building the box", "[/box red] ✔ box red ready", "[/slow] ✔ slow finished"]) {
      expect(text).toContain(line);
    }
    expect(out.text().indexOf("box red ready")).toBeLessThan(out.text().indexOf("slow finished"));
  });
});
