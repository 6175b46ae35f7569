import { z } from "zod";
import { variant, type ArgsMessage } from "../core/command-args.js";
import { defineCommand } from "../core/command-spec.js";
import { escapeEcho } from "../core/validate.js";
import { DUMP_ID } from "../ops/backups/resolve-dump.js";

/** `/backup` arguments, one shape for every sub-command; environment and database are checked against the config by the handler. */
export interface BackupArgs {
  sub: "status" | "run" | "list" | "retention" | "restore" | "drill" | "pin" | "unpin";
  env?: string;
  db?: string;
  /** restore: `latest` or a dump id; pin/unpin: a dump id. */
  ref?: string;
  dryRun: boolean;
  from: "local" | "offsite";
}

const env = z.string().optional();
const db = z.string().optional();
/** Every variant's value: the sub-command, the strings given, booleans for the flags. */
const shape =
  (sub: BackupArgs["sub"]) =>
  (a: { env?: string | undefined; db?: string | undefined; ref?: string | undefined; "dry-run"?: boolean; from?: "offsite" | undefined }): BackupArgs => ({
    sub,
    ...(a.env !== undefined ? { env: a.env } : {}),
    ...(a.db !== undefined ? { db: a.db } : {}),
    ...(a.ref !== undefined ? { ref: a.ref } : {}),
    dryRun: a["dry-run"] === true,
    from: a.from ?? "local",
  });
// A missing environment is named by the handler, with the environments that have backups.
const envPos = { name: "env", lenient: true } as const;

const pinVariant = (sub: "pin" | "unpin") =>
  variant({
    sub,
    positionals: [envPos, { name: "ref", label: "dump-id" }],
    schema: z
      .object({ env, ref: z.string() })
      .superRefine((a, ctx) => {
        if (!DUMP_ID.test(a.ref)) ctx.addIssue({ code: "custom", message: `/backup ${sub} needs a dump id`, params: { nextStep: `Use /backup ${sub} ${a.env ?? "<env>"} <dump-id>; /backup list ${a.env ?? "<env>"} shows the ids.` } });
      })
      .transform(shape(sub)),
  });

const usageOf = (sub: string | undefined): string => `Use ${backupSpec.usage.filter((u) => u.startsWith(`/backup ${sub ?? ""}`)).join(" or ")}.`;

export const backupSpec = defineCommand({
  name: "backup",
  summary: "database backups: status, run, list, retention preview, restore (approval if protected), drills",
  section: "backups",
  defaultSub: "status",
  variants: [
    variant({ sub: "status", positionals: [{ name: "env", optional: true }], schema: z.object({ env }).transform(shape("status")) }),
    variant({ sub: "run", positionals: [envPos], schema: z.object({ env }).transform(shape("run")) }),
    variant({ sub: "list", positionals: [envPos, { name: "db", optional: true }], schema: z.object({ env, db }).transform(shape("list")) }),
    variant({ sub: "retention", positionals: [envPos], flags: [{ name: "dry-run", shown: "required" }], schema: z.object({ env, "dry-run": z.boolean() }).transform(shape("retention")) }),
    variant({
      sub: "restore",
      positionals: [envPos, { name: "db" }, { name: "ref", label: "dump-id|latest" }],
      flags: [{ name: "dry-run" }, { name: "from", value: "offsite" }],
      schema: z
        .object({ env, db: z.string(), ref: z.string(), "dry-run": z.boolean(), from: z.literal("offsite", { error: "--from takes offsite" }).optional() })
        .superRefine((a, ctx) => {
          if (a.ref !== "latest" && !DUMP_ID.test(a.ref)) ctx.addIssue({ code: "custom", message: `"${escapeEcho(a.ref, 60)}" is not a dump id`, params: { nextStep: `Give latest or an id from /backup list ${a.env ?? "<env>"} ${a.db}, such as ${a.db}-20261123T025500Z.` } });
        })
        .transform(shape("restore")),
    }),
    variant({ sub: "drill", positionals: [envPos, { name: "db", optional: true }], schema: z.object({ env, db }).transform(shape("drill")) }),
    pinVariant("pin"),
    pinVariant("unpin"),
  ],
  messages: {
    unknownSub: (): ArgsMessage => ({ message: "unknown /backup arguments", nextStep: `Use one of: ${backupSpec.usage.join(" · ")}.` }),
    unknownFlag: (_raw, ctx) => ({ message: `unknown /backup ${ctx.variant?.sub ?? ""} arguments`, nextStep: usageOf(ctx.variant?.sub) }),
    extra: (_w, ctx) => ({ message: `unknown /backup ${ctx.variant?.sub ?? ""} arguments`, nextStep: usageOf(ctx.variant?.sub) }),
    missing: (_n, ctx): ArgsMessage => {
      const e = ctx.positionals[0] ?? "<env>";
      if (ctx.variant?.sub === "restore") return { message: "/backup restore needs an environment, a database and a dump", nextStep: `Use /backup restore ${e} <db> <dump-id|latest> [--dry-run]; /backup list ${e} shows the ids.` };
      return { message: `/backup ${ctx.variant?.sub ?? ""} needs a dump id`, nextStep: `Use /backup ${ctx.variant?.sub ?? ""} ${e} <dump-id>; /backup list ${e} shows the ids.` };
    },
  },
});
