import { z } from "zod";
import { DateTime } from "luxon";
import ms from "ms";
import type { Previews } from "../config/schema.js";
import type { Command, ProgressFn, Reply, ReplyField } from "../core/command.js";
import { OpsError } from "../core/errors.js";
import { escapeEcho } from "../core/validate.js";
import type { ListedPreview, PreviewListing, PreviewOps, StartedPreview } from "../ops/previews/preview-types.js";
import { noSuchPreview } from "../ops/previews/preview-exists.js";
import { parseTtl } from "../ops/previews/slug.js";
import { defineCommand } from "../core/command-spec.js";
import { variant } from "../core/command-args.js";
import { defineParsedHandler, type Handler } from "./handler.js";

export interface PreviewHandlerOptions {
  ops: PreviewOps;
  config: Previews;
  clock?: () => Date;
}

const name = z.string();
export const previewSpec = defineCommand({
  name: "preview",
  summary: "preview environments per branch: deploy, list, extend, destroy",
  section: "previews",
  variants: [
    variant({
      positionals: [{ name: "branch" }],
      flags: [{ name: "ttl", value: "3d" }, { name: "sha", value: "<commit>" }],
      schema: z.object({ branch: name, ttl: z.string().optional(), sha: z.string().optional() }).transform((a) => ({ sub: "deploy" as const, ...a })),
    }),
    variant({ sub: "list", schema: z.object({}).transform(() => ({ sub: "list" as const })) }),
    variant({
      sub: "destroy",
      positionals: [{ name: "target", label: "branch|slug" }],
      flags: [{ name: "yes" }],
      schema: z.object({ target: name, yes: z.boolean() }).transform((a) => ({ sub: "destroy" as const, ...a })),
    }),
    variant({
      sub: "extend",
      positionals: [{ name: "target", label: "branch|slug" }, { name: "duration" }],
      schema: z.object({ target: name, duration: name }).transform((a) => ({ sub: "extend" as const, ...a })),
    }),
  ],
  // Every refusal shows all the forms; the flag errors too.
  messages: {
    missing: (_n, ctx) => (ctx.variant?.sub === undefined ? "/preview needs a branch name or a sub-command" : "an argument is missing"),
    extra: (word) => `unexpected argument "${escapeEcho(word, 40)}"`,
    unknownFlag: (raw) => `unknown option "${escapeEcho(raw, 30)}"`,
    flag: (problem, f) => (problem === "repeated" ? `--${f.name} is given more than once` : problem === "value missing" ? `--${f.name} needs a value` : `--${f.name} takes no value`),
    nextStep: (): string => `Usage: ${previewSpec.usage.join("  |  ")}`,
  },
});
type Parsed = ReturnType<typeof previewSpec.args.parse>;

/** `/preview` arguments as the router parses them (tests read the typed value). */
export function parsePreviewArgs(args: string[]): Parsed {
  return previewSpec.args.parse(args);
}

const UNITS: Array<[string, number]> = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

/** `in 3 days (2026-11-26 09:13 UTC)`, `2 hours ago (…)`: rounded to the nearest whole unit. */
export function formatExpiry(expiresAt: Date, now: Date): string {
  const diff = expiresAt.getTime() - now.getTime();
  const abs = Math.abs(diff);
  let rel = "now";
  for (const [unit, size] of UNITS) {
    const n = Math.round(abs / size);
    // Within a minute of a whole unit counts as that unit: "in 1 hour", not "in 60 minutes".
    if (n >= 1 && (abs >= size - 60_000 || unit === "minute")) {
      const text = `${n} ${unit}${n === 1 ? "" : "s"}`;
      rel = diff >= 0 ? `in ${text}` : `${text} ago`;
      break;
    }
  }
  const when = DateTime.fromJSDate(expiresAt).toUTC().toFormat("yyyy-MM-dd HH:mm 'UTC'");
  return `${rel} (${when})`;
}

function previewButtons(slug: string): Reply["buttons"] {
  return [
    { command: `/preview destroy ${slug} --yes`, label: "Destroy", style: "danger", confirm: `Destroy preview ${slug}? Its containers, volumes (data) and directory are deleted.` },
    { command: `/preview extend ${slug} 1d`, label: "Extend 1d", style: "default" },
  ];
}

function deployedReply(p: StartedPreview, now: Date): Reply {
  const fields: ReplyField[] = [
    { label: "URL", value: p.url },
    { label: "Expires", value: formatExpiry(p.expiresAt, now) },
    { label: "Slug", value: p.slug },
    { label: "Commit", value: p.ref },
    { label: "Branch", value: escapeEcho(p.branch, 120) },
  ];
  return {
    status: p.warnings.length > 0 ? "warning" : "success",
    title: `Preview ${p.slug} is ${p.redeployed ? "redeployed and " : ""}up: ${p.url}`,
    lines: [
      `Services on host ${p.host}: ${p.serviceStates.join("; ")}.`,
      `Credentials are in ${p.envFile} on host ${p.host} (mode 600); they are never shown in chat.`,
      ...p.warnings.map((w) => `Note: ${w}`),
    ],
    fields,
    buttons: previewButtons(p.slug),
  };
}

function listLine(p: ListedPreview, now: Date, pooled: boolean): string {
  const parts = [
    p.slug,
    ...(pooled ? [`host ${p.host}`] : []),
    `branch ${escapeEcho(p.branch, 60)}`,
    p.url,
    `by ${escapeEcho(p.requestedByName, 40)}`,
    `expires ${formatExpiry(new Date(p.expiresAt), now)}`,
    p.status === "failed" ? "failed/interrupted — /preview destroy " + p.slug + " removes it" : p.status,
  ];
  if (p.drift) parts.push(`${p.drift} — /preview destroy ${p.slug} clears it`);
  return parts.join(" · ");
}

function listReply(listing: PreviewListing, now: Date, pooled = false): Reply {
  const lines = listing.previews.map((p) => listLine(p, now, pooled));
  for (const o of listing.orphans) {
    lines.push(`${o.slug} · orphan on host ${o.host ?? listing.host} (${o.running}/${o.containers.length} containers running, no state) — /preview destroy ${o.slug} removes it`);
  }
  for (const r of listing.orphanRoutes ?? []) lines.push(`${r} · orphan route in the proxy (no preview) — the next start-up reconcile removes it`);
  if (listing.routeError) lines.push(`Warning: ${listing.routeError}.`);
  if (listing.hostError) lines.push(`Warning: ${listing.hostError}; showing state only.`);
  const total = listing.previews.length + listing.orphans.length;
  return {
    status: listing.hostError ? "warning" : "info",
    title: total === 0 ? `No previews on ${listing.host}` : `Previews on ${listing.host} (${total})`,
    lines: lines.length > 0 ? lines : ["Start one with /preview <branch>."],
  };
}

/** `/preview`: deploy, list, destroy and extend preview environments. */
export function createPreviewHandler(options: PreviewHandlerOptions): Handler {
  const { ops, config } = options;
  const clock = options.clock ?? (() => new Date());

  async function run(command: Command, progress: ProgressFn, parsed: Parsed): Promise<Reply> {
    switch (parsed.sub) {
      case "list":
        return listReply(await ops.list(), clock(), config.hosts.length > 1);
      case "deploy": {
        const ttlMs = parsed.ttl !== undefined ? parseTtl(parsed.ttl, config.max_ttl) : undefined;
        const started = await ops.deploy(
          { branch: parsed.branch, actor: command.actor, ...(parsed.sha !== undefined ? { ref: parsed.sha } : {}), ...(ttlMs !== undefined ? { ttlMs } : {}) },
          progress,
        );
        return deployedReply(started, clock());
      }
      case "destroy": {
        const slug = ops.resolveSlug(parsed.target);
        // Never ask to confirm something that does not exist.
        if (!(await ops.exists(slug))) throw noSuchPreview(parsed.target);
        if (!parsed.yes) {
          return {
            status: "warning",
            title: `Destroy preview ${slug}?`,
            lines: [`This removes its containers, networks, volumes (all its data), DNS record and directory on ${config.hosts.length > 1 ? "its preview host (see /preview list)" : config.host}.`, `Confirm with the button or type /preview destroy ${slug} --yes`],
            buttons: [{ command: `/preview destroy ${slug} --yes`, label: `Destroy ${slug}`, style: "danger", confirm: `Destroy preview ${slug} and delete its data?` }],
            visibility: "actor",
          };
        }
        const stopped = await ops.destroy(slug, command.actor, progress);
        return {
          status: "success",
          title: `Preview ${slug} destroyed`,
          lines: stopped.removed.map((r) => `Removed ${r}`),
        };
      }
      case "extend": {
        const ttlMs = parseTtl(parsed.duration, config.max_ttl, "the extension");
        const ext = await ops.extend(parsed.target, ttlMs, command.actor);
        const now = clock();
        return {
          status: "success",
          title: `Preview ${ext.preview.slug} now expires ${formatExpiry(new Date(ext.preview.expiresAt), now)}`,
          lines: [
            `It was due ${formatExpiry(ext.previousExpiresAt, now)}.`,
            ...(ext.capped ? [`Capped at the maximum lifetime of ${ms(config.max_ttl, { long: true })} from now.`] : []),
          ],
          fields: [
            { label: "URL", value: ext.preview.url },
            { label: "Expires", value: formatExpiry(new Date(ext.preview.expiresAt), now) },
          ],
          buttons: previewButtons(ext.preview.slug),
        };
      }
    }
  }

  return defineParsedHandler(previewSpec, {
    permission(parsed) {
      if (parsed.sub === "list") return { key: "preview list", readOnly: true };
      if (parsed.sub === "deploy") return { key: "preview", readOnly: false };
      return { key: `preview ${parsed.sub}`, readOnly: false };
    },
    run,
  });
}
