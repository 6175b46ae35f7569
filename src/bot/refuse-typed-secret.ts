import type { Command } from "../core/command.js";
import { OpsError } from "../core/errors.js";
import type { Redactor } from "../core/redact.js";

/**
 * Refuse a command whose name or arguments hold a known secret, a 12+ character fragment of one
 * or a token-shaped string. Handlers echo bad arguments truncated, escaped or masked (`"abc?ef…"`),
 * and the reply's redaction cannot match those transformed forms, so the raw text is checked
 * here, before any handler sees it.
 */
export function refuseTypedSecret(redact: Redactor, command: Command): void {
  const leaked = [command.name, ...command.args].some((part) => redact(part) !== part);
  if (leaked) {
    throw new OpsError(
      "bad_input",
      "the command contains a secret or a token, so it was not run (it is not echoed here)",
      "Never type credentials in chat. If it was a real one, rotate it now; then type the command without it.",
    );
  }
}
