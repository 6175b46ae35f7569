/** The commands every chat platform registers, with a one-line description each. */
export interface ChatCommandInfo {
  name: string;
  description: string;
  /** Example arguments, shown as the hint for the free-text argument. */
  hint: string;
}

export const CHAT_COMMANDS: readonly ChatCommandInfo[] = [
  { name: "preview", description: "Preview environments: create, list, extend, destroy", hint: "feature-x --ttl 2d | list | destroy feature-x" },
  { name: "deploy", description: "Deploy a ref to an environment", hint: "staging v1.4.2" },
  { name: "seed", description: "Seed an environment's database", hint: "staging demo" },
  { name: "backup", description: "Back up, list, restore or drill an environment's databases", hint: "run prod | list prod | restore prod shop latest | drill prod" },
  { name: "rollback", description: "Roll an environment back to an earlier deploy", hint: "staging" },
  { name: "runbook", description: "Run a configured runbook", hint: "restart-workers staging" },
  { name: "infra", description: "Servers and DNS", hint: "servers | dns list" },
  { name: "jobs", description: "Scheduled jobs and their last runs", hint: "list" },
  { name: "status", description: "Health of environments and previews", hint: "staging" },
  { name: "audit", description: "Recent commands from the audit trail", hint: "--last 20" },
  { name: "help", description: "List the commands", hint: "" },
];
