import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { SLACK_COMMANDS } from "../../src/bot/slack/slack-command.js";
import { renderSlackReply, SLACK_LIMITS } from "../../src/bot/slack/render-slack-reply.js";
import { escapeSlack, fitSlack, unescapeSlack } from "../../src/bot/slack/slack-text.js";
import type { Reply } from "../../src/core/command.js";
import { checkBlocks } from "../fakes/fake-slack-api.js";

type AnyBlock = { type: string; text?: { type: string; text: string; verbatim?: boolean }; fields?: Array<{ text: string }>; elements?: Array<Record<string, unknown>> };
const blocks = (reply: Reply): AnyBlock[] => renderSlackReply(reply).blocks as AnyBlock[];

describe("renderSlackReply", () => {
  it("renders each part of a reply into its Block Kit block", () => {
    const out = blocks({
      status: "warning",
      title: "Disk almost full",
      lines: ["host app-1", "92% used"],
      fields: [{ label: "Host", value: "app-1" }],
      code: "df -h output",
      nextStep: "Run /infra prune app-1.",
      buttons: [
        { command: "/infra prune app-1", label: "Prune", style: "primary" },
        { command: "/infra reboot app-1", label: "Reboot", style: "danger", confirm: "Reboot app-1 now?" },
      ],
    });
    expect(out.map((b) => b.type)).toEqual(["header", "section", "section", "section", "context", "actions"]);
    expect(out[0]?.text).toEqual({ type: "plain_text", text: "⚠️ Disk almost full", emoji: true });
    expect(out[1]?.text).toEqual({ type: "mrkdwn", text: "host app-1\n92% used", verbatim: true });
    expect(out[2]?.fields?.[0]?.text).toBe("*Host*\napp-1");
    expect(out[3]?.text?.text).toBe("```\ndf -h output\n```");
    expect(out[4]?.elements?.[0]).toEqual({ type: "mrkdwn", text: "*Next:* Run /infra prune app-1.", verbatim: true });
    const [prune, reboot] = out[5]?.elements ?? [];
    expect(prune).toEqual({ type: "button", action_id: "opsdeck.button.0", text: { type: "plain_text", text: "Prune", emoji: true }, value: "/infra prune app-1", style: "primary" });
    expect(reboot?.["confirm"]).toEqual({
      title: { type: "plain_text", text: "Reboot?", emoji: true },
      text: { type: "plain_text", text: "Reboot app-1 now?", emoji: true },
      confirm: { type: "plain_text", text: "Reboot", emoji: true },
      deny: { type: "plain_text", text: "Cancel", emoji: true },
      style: "danger",
    });
  });

  it("omits the blocks a reply has nothing for", () => {
    expect(blocks({ status: "success", title: "ok" }).map((b) => b.type)).toEqual(["header"]);
  });

  it("keeps a huge reply inside every Slack limit", () => {
    const reply: Reply = {
      status: "failure",
      title: "T".repeat(400),
      lines: Array.from({ length: 500 }, (_, i) => `line ${i} & <more>`),
      fields: Array.from({ length: 600 }, (_, i) => ({ label: `f${i}`, value: "v&".repeat(1500) })),
      code: `${"log line\n".repeat(2000)}\`\`\` closing fence <!here>\nLAST LINE`,
      nextStep: "n".repeat(5000),
      buttons: [
        ...Array.from({ length: 30 }, (_, i) => ({ command: `/jobs run ${i}`, label: "L".repeat(200), confirm: "c".repeat(1000), style: "danger" as const })),
        { command: `/jobs ${"x".repeat(2100)}`, label: "too long to dispatch" },
      ],
    };
    const out = renderSlackReply(reply);
    expect(checkBlocks(out.blocks)).toBeUndefined();
    expect(out.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
    expect(out.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
    const b = out.blocks as AnyBlock[];
    expect(b[0]?.text?.text.endsWith("…")).toBe(true);
    expect(b[0]?.text?.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    // Buttons are kept (the actions block survives the block limit), capped at 25, labels cut.
    const actions = b.find((x) => x.type === "actions");
    expect(actions?.elements).toHaveLength(25);
    expect(actions?.elements?.some((e) => String(e["value"]).length > 2000)).toBe(false);
    const confirm = actions?.elements?.[0]?.["confirm"] as { text: { text: string }; title: { text: string }; confirm: { text: string } };
    expect(confirm.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.confirmText);
    expect(confirm.title.text.length).toBeLessThanOrEqual(SLACK_LIMITS.confirmTitle);
    expect(confirm.confirm.text.length).toBeLessThanOrEqual(SLACK_LIMITS.confirmButton);
    // The log keeps its end, says what was cut, and cannot close its own code block early.
    const code = b.find((x) => x.text?.text.startsWith("```"))?.text?.text ?? "";
    expect(code.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(code).toMatch(/^```\n… \d+ earlier characters not shown\n/);
    expect(code.endsWith("LAST LINE\n```")).toBe(true);
    expect(code.slice(3, -3)).not.toContain("```");
    expect(code).toContain("&lt;!here&gt;");
    // No entity is cut in half by the truncation.
    for (const block of b) {
      for (const t of [block.text?.text, ...(block.fields ?? []).map((f) => f.text)]) {
        if (t) expect(t).not.toMatch(/&(?!amp;|lt;|gt;)/);
      }
    }
  });

  it("escapes &, < and > everywhere, including button labels and confirm text", () => {
    const out = renderSlackReply({
      status: "info",
      title: "<!channel> deploy",
      lines: ["<@U123> & <#C1>"],
      fields: [{ label: "<b>", value: "<https://x.test|y>" }],
      nextStep: "<!everyone>",
      buttons: [{ command: "/status x", label: "<!here>", confirm: "<!subteam^S1>" }],
    });
    const json = JSON.stringify(out);
    expect(json).not.toMatch(/<[!@#h]/);
    expect(json).toContain("&lt;!channel&gt; deploy");
    expect(json).toContain("&lt;@U123&gt; &amp; &lt;#C1&gt;");
    expect(json).toContain("&lt;!subteam^S1&gt;");
  });
});

describe("fitSlack", () => {
  it("cuts on the raw text so an entity is never split", () => {
    const out = fitSlack("&".repeat(100), 23);
    expect(out.length).toBeLessThanOrEqual(23);
    expect(out).toBe(`${"&amp;".repeat(4)}…`);
    expect(escapeSlack("a<b>&c")).toBe("a&lt;b&gt;&amp;c");
    expect(unescapeSlack(escapeSlack("a<b>&amp;c"))).toBe("a<b>&amp;c");
  });
});

describe("config/slack-manifest.yaml", () => {
  const manifest = parseYaml(readFileSync(new URL("../../config/slack-manifest.yaml", import.meta.url), "utf8")) as {
    features: { slash_commands: Array<{ command: string; url: string; description: string; should_escape: boolean }> };
    oauth_config: { scopes: { bot: string[] } };
    settings: { interactivity: { is_enabled: boolean; request_url: string } };
  };

  it("declares exactly the slash commands the adapter registers, all on one request URL", () => {
    const commands = manifest.features.slash_commands;
    expect(commands.map((c) => c.command).sort()).toEqual(SLACK_COMMANDS.map((c) => `/${c}`).sort());
    for (const c of commands) {
      expect(c.url).toBe(manifest.settings.interactivity.request_url);
      expect(c.description.length).toBeGreaterThan(0);
      expect(c.description.length).toBeLessThanOrEqual(100);
      expect(c.should_escape).toBe(false);
    }
  });

  it("enables interactivity (buttons) and asks only for the scopes it uses", () => {
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.oauth_config.scopes.bot.sort()).toEqual(["chat:write", "chat:write.public", "commands"]);
  });
});
