import { inspect } from "node:util";

const REDACTED = "[REDACTED]";

/**
 * A secret value that refuses to print itself. `toString`, `toJSON` and `util.inspect`
 * all yield `[REDACTED]`; only `reveal()` gives the value, so every use is greppable.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}
