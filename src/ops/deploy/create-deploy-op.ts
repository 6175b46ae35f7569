import type { Environment } from "../../config/environments-config.js";
import { actorKey, type ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import { validateRef } from "../../core/validate.js";
import { createEnvLocks } from "../env-locks.js";
import { createJournal } from "../journal/create-journal.js";
import { acquireHostLock, deployLockBusy, lockFileOf, type HostLock } from "../host-lock.js";
import { buildPlan, type DeployPlan } from "./deploy-plan.js";
import { isMultiNode, selectGroups, type NodeScope } from "./env-nodes.js";
import { recordDeployment, type DeploymentKind, type DeploymentRecord } from "./history.js";
import { bringUp as bringUpNode, projectOf, pullImages, readTag, runMigration, smokeChecks, writeTag as writeNodeTag, type DeployTarget, type NodeSteps } from "./node-steps.js";
import { nodeStatuses, type NodeStatus } from "./node-status.js";
import { runNodeGroupsDeploy } from "./run-node-groups.js";
import type { DeployOp, DeployOpOptions, DeployOutcome, DeployRequest } from "./deploy-op-types.js";

export type { DeployTarget };
export type { DeployOp, DeployOpOptions, DeployOutcome, DeployRequest } from "./deploy-op-types.js";

export function createDeployOp(options: DeployOpOptions): DeployOp {
  const { environments, store, redact } = options;
  const clock = options.clock ?? (() => new Date());
  const journal = createJournal({ store, redact, clock });
  const fetchFn = options.fetch ?? fetch;
  const envLocks = options.envLocks ?? createEnvLocks(clock);

  const environment = (name: string): Environment => {
    const env = Object.hasOwn(environments, name) ? environments[name] : undefined;
    if (!env) {
      const names = Object.keys(environments);
      throw new OpsError("bad_input", `unknown environment "${name.slice(0, 32).replace(/[^a-z0-9-]/g, "?")}"`, names.length > 0 ? `Use one of: ${names.join(", ")}.` : "No environments are configured; add them under environments in the config.");
    }
    return env;
  };
  const stepsOf = (target: DeployTarget, env: Environment): NodeSteps => ({ target, env, redact, fetchFn });

  /** The primary host's tag; with node groups, the first node's. */
  async function currentTag(name: string): Promise<string | null> {
    const env = environment(name);
    const first = selectGroups(name, env, {})[0]?.nodes[0];
    const nodeEnv = first?.env ?? env;
    return readTag(stepsOf(options.targetFor(nodeEnv.host), nodeEnv));
  }

  async function nodeTags(name: string, scope: NodeScope = {}): Promise<Array<{ group: string; node: string; tag: string | null }>> {
    const env = environment(name);
    const nodes = selectGroups(name, env, scope).flatMap((g) => g.nodes);
    return Promise.all(nodes.map(async (n) => ({ group: n.group, node: n.host, tag: await readTag(stepsOf(options.targetFor(n.host), n.env)) })));
  }

  async function plan(name: string, ref: string, kind: DeploymentKind = "deploy"): Promise<DeployPlan> {
    const env = environment(name);
    const tag = validateRef(ref, env.ref_pattern);
    const { compose } = options.targetFor(env.host);
    const [current, binary] = await Promise.all([currentTag(name), compose.binary()]);
    return buildPlan({ envName: name, env, kind, currentTag: current, newTag: tag, composeBinary: binary, backup: options.backupFor?.(name) !== undefined });
  }

  const writeTag = (target: DeployTarget, env: Environment, tag: string): Promise<void> => writeNodeTag(stepsOf(target, env), tag);
  const bringUp = (envName: string, target: DeployTarget, env: Environment, deadline: number, progress: ProgressFn, step: (s: string) => void): Promise<void> => {
    const route = options.routeFor?.(envName, env.host);
    return bringUpNode({ ...stepsOf(target, env), ...(route ? { route } : {}) }, deadline, progress, step);
  };

  async function run(request: DeployRequest): Promise<DeployOutcome> {
    const env = environment(request.env);
    const tag = validateRef(request.ref, env.ref_pattern);
    for (const t of Object.values(request.tags ?? {})) validateRef(t, env.ref_pattern);
    selectGroups(request.env, env, request.scope ?? {}); // an unknown group or node is refused before anything runs
    const what = `${request.kind} of ${tag} by ${request.actor.name}`;
    if (isMultiNode(env)) {
      const deps = { journal, store, redact, clock, fetchFn, targetFor: options.targetFor, ...(options.routeFor ? { routeFor: options.routeFor } : {}), ...(options.log ? { log: options.log } : {}), ...(options.backupFor ? { backupFor: options.backupFor } : {}), ...(options.hostLockLeaseMs !== undefined ? { hostLockLeaseMs: options.hostLockLeaseMs } : {}) };
      return envLocks.run(request.env, what, () => runNodeGroupsDeploy(deps, request, env, tag));
    }
    return envLocks.run(request.env, what, () => runLocked(request, env, tag));
  }

  async function runLocked(request: DeployRequest, env: Environment, tag: string): Promise<DeployOutcome> {
    // A chat API hiccup while posting progress must never fail (and roll back) a deploy.
    const progress: ProgressFn = async (step) => {
      await request.progress(step).catch((err: unknown) => options.log?.warn({ err, env: request.env }, "could not post deploy progress"));
    };
    const target = options.targetFor(env.host);
    const verb = request.kind === "rollback" ? "rollback" : "deploy";
    // The journal entry exists before anything touches the host; its id is the deployment's id.
    const id = await journal.begin(verb, request.env, actorKey(request.actor), `${verb} ${tag}`);
    const started = clock();
    const startedMs = Date.now();

    let previous: string | null = null;
    let tagChanged = false;
    let step = "lock";
    const setStep = (s: string): void => {
      step = s;
    };
    const finish = async (result: "succeeded" | "failed", extra: Partial<DeploymentRecord>, summary: string): Promise<DeploymentRecord> => {
      const ended = clock();
      const record: DeploymentRecord = {
        id,
        env: request.env,
        kind: request.kind,
        tag,
        previousTag: previous,
        actor: actorKey(request.actor),
        actorName: request.actor.name,
        ...(request.approvedBy ? { approvedBy: request.approvedBy } : {}),
        startedAt: started.toISOString(),
        endedAt: ended.toISOString(),
        durationMs: Date.now() - startedMs,
        result,
        rolledBack: false,
        ...extra,
      };
      await recordDeployment(store, record);
      await journal.finish(id, result, summary);
      return record;
    };

    let lock: HostLock | undefined;
    try {
      await progress(`locking ${request.env} on ${env.host}`);
      const leaseMs = options.hostLockLeaseMs ?? env.health_timeout + 30 * 60_000;
      const lockFile = lockFileOf(request.env, env);
      lock = await acquireHostLock(target.host, lockFile, { leaseMs, what: "a deploy", privateDir: true, busy: deployLockBusy(target.host.name, lockFile) });

      setStep("read current tag");
      previous = await readTag(stepsOf(target, env));

      const backup = options.backupFor?.(request.env);
      if (backup && request.kind === "deploy") {
        setStep("backup");
        await progress("pre-deploy backup");
        await backup(progress);
      }

      setStep("write tag");
      await progress(`writing ${env.tag_variable}=${tag} (was ${previous ?? "unset"})`);
      tagChanged = true; // from here on a failure rolls back, even if the write itself half-failed
      await writeTag(target, env, tag);

      if (env.pull !== "never") {
        setStep("pull");
        await progress("pulling images");
        await pullImages(stepsOf(target, env), progress);
      }

      if (env.migration_command && request.kind === "deploy") {
        setStep("migrations");
        await progress("running migrations");
        await runMigration(stepsOf(target, env));
      }

      const deadline = Date.now() + env.health_timeout;
      await progress(`starting ${tag}`);
      await bringUp(request.env, target, env, deadline, progress, setStep);

      if (env.smoke_checks.length > 0) {
        setStep("smoke checks");
        await progress(`running ${env.smoke_checks.length} smoke check(s)`);
        await smokeChecks(stepsOf(target, env));
      }

      const record = await finish("succeeded", {}, `${verb} of ${tag} succeeded`);
      return { record };
    } catch (err) {
      const failedStep = step;
      const message = redact(err instanceof Error ? err.message : String(err));
      options.log?.warn({ env: request.env, tag, step: failedStep, err }, `${verb} failed`);
      if (!tagChanged) {
        // Nothing changed on the host: the journal says why, the deploy history stays about real deploys.
        await journal.finish(id, "failed", `${verb} of ${tag} failed at ${failedStep}: ${message}`);
        throw err;
      }
      const logs = await target.compose
        .logs(projectOf(env), options.logTailLines ?? 30)
        .then((text) => redact(text))
        .catch(() => undefined);
      if (previous === null || previous === tag) {
        const record = await finish("failed", { failure: `${failedStep}: ${message}` }, `${verb} of ${tag} failed at ${failedStep}; nothing to roll back to`);
        return { record, failedStep, ...(logs ? { logs } : {}) };
      }
      await progress(`${failedStep} failed: ${message}; rolling back to ${previous}`);
      let rollbackHealthy = false;
      let rollbackError: string | undefined;
      try {
        await writeTag(target, env, previous);
        await bringUp(request.env, target, env, Date.now() + env.health_timeout, progress, () => undefined);
        rollbackHealthy = true;
      } catch (rbErr) {
        rollbackError = redact(rbErr instanceof Error ? rbErr.message : String(rbErr));
        options.log?.error({ env: request.env, err: rbErr }, "automatic roll back failed");
      }
      const record = await finish(
        "failed",
        { failure: `${failedStep}: ${message}${rollbackError ? `; roll back failed: ${rollbackError}` : ""}`, rolledBack: true, rollbackHealthy },
        `${verb} of ${tag} failed at ${failedStep}; rolled back to ${previous} (${rollbackHealthy ? "healthy" : "NOT healthy"})`,
      );
      return { record, failedStep, ...(logs ? { logs } : {}) };
    } finally {
      await lock?.release();
    }
  }

  const status = (name: string): Promise<NodeStatus[]> => nodeStatuses(environment(name), options.targetFor, redact);
  return { environment, currentTag, plan, run, nodeTags, status };
}
