import type { Logger } from "../../core/logger.js";
import type { Redactor } from "../../core/redact.js";
import type { HostShell } from "../adapters/host-shell.js";
import type { SshHostShell } from "../adapters/ssh-host-shell.js";

/** A host shell that says when it reconnects (the SSH one does; the local one never disconnects). */
function reconnects(shell: HostShell): shell is HostShell & Pick<SshHostShell, "onReconnect"> {
  return typeof (shell as Partial<SshHostShell>).onReconnect === "function";
}

/**
 * Re-apply the routes of running previews each time the SSH connection to a preview host is
 * opened again after it was lost (the host, its sshd or Caddy behind it restarted): `reconcile`
 * is the ops' reconcile, which puts back missing routes. One run at a time; a reconnect during a
 * run asks for one more run after it. Returns a function that stops listening.
 */
export function reconcileOnReconnect(shells: HostShell[], reconcile: () => Promise<unknown>, deps: { log: Logger; redact: Redactor }): () => void {
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): void => {
    if (running !== null) {
      again = true;
      return;
    }
    running = reconcile()
      .then(
        () => undefined,
        (err: unknown) => deps.log.error({ err: deps.redact((err as Error).message) }, "could not re-apply preview routes after a reconnect"),
      )
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          run();
        }
      });
  };
  const stops = shells.filter(reconnects).map((shell) =>
    shell.onReconnect(() => {
      deps.log.info({ host: shell.name }, "preview host reconnected: re-applying preview routes");
      run();
    }),
  );
  return () => {
    for (const stop of stops) stop();
  };
}
