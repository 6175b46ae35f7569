/**
 * The one quoting function for remote commands. Every argument is wrapped in single quotes
 * (POSIX sh: nothing inside single quotes is special; a single quote is written `'\''`).
 * Arguments must not contain NUL, which no shell can carry.
 */
export function quoteArg(arg: string): string {
  if (arg.includes("\0")) throw new Error("argument contains a NUL byte");
  if (/^[A-Za-z0-9_\/.,:=@%+-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Join an argv array into one POSIX shell command line. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error("empty command");
  return argv.map(quoteArg).join(" ");
}
