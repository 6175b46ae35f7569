/**
 * Read and change one variable of a compose `.env` file, keeping every other line (comments,
 * blank lines, other variables, their order) exactly as it was.
 */

const LINE = (name: string): RegExp => new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=(.*)$`);

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) return v.slice(1, -1);
  return v;
}

/** The value of `name` (last assignment wins, as in compose), or `null` when it is not set. */
export function readEnvVar(content: string | null, name: string): string | null {
  if (content === null) return null;
  let found: string | null = null;
  const re = LINE(name);
  for (const line of content.split("\n")) {
    const m = re.exec(line.replace(/\r$/, ""));
    if (m) found = unquote(m[1] ?? "");
  }
  return found === "" ? null : found;
}

/** `content` with `name=value`: the first assignment replaced, later duplicates removed, or a line appended. */
export function setEnvVar(content: string | null, name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error("an .env value must not contain a line break");
  const re = LINE(name);
  const lines = content === null || content === "" ? [] : content.split("\n");
  const trailingNewline = lines.length > 0 && lines[lines.length - 1] === "";
  if (trailingNewline) lines.pop();
  let replaced = false;
  const out: string[] = [];
  for (const line of lines) {
    if (re.test(line.replace(/\r$/, ""))) {
      if (!replaced) out.push(`${name}=${value}`);
      replaced = true;
    } else out.push(line);
  }
  if (!replaced) out.push(`${name}=${value}`);
  return `${out.join("\n")}\n`;
}

/** Keys whose values are treated as secrets: never shown, even inside a container's log tail. */
const SECRET_KEY = /PASS|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE|DSN|AUTH|COOKIE|SALT/i;

/** Values of secret-looking variables in a `.env`, for the redactor. */
export function secretValuesOf(content: string | null): string[] {
  if (content === null) return [];
  const out: string[] = [];
  for (const raw of content.split("\n")) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(raw.replace(/\r$/, ""));
    if (m?.[1] && SECRET_KEY.test(m[1])) {
      const value = unquote(m[2] ?? "");
      if (value.length > 0) out.push(value);
    }
  }
  return out;
}
