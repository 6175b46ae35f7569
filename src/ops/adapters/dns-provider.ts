export interface DnsRecordSpec {
  /** Fully qualified name, e.g. `preview-feature-x.example.com`. */
  name: string;
  type: "A" | "AAAA" | "CNAME";
  content: string;
  ttl?: number;
  proxied?: boolean;
}

/** A deletion that failed and was queued for the next sweep instead of failing the caller. */
export interface DnsRemoveQueued {
  queued: true;
  error: string;
}

/** Where preview and environment hostnames are published. Both calls are idempotent. */
export interface DnsProvider {
  readonly kind: string;
  upsert(record: DnsRecordSpec): Promise<void>;
  /** Delete every record with this name; no error when none exists. */
  remove(name: string): Promise<void | DnsRemoveQueued>;
}

/** The default: names are resolved some other way (wildcard record, /etc/hosts, *.localhost). */
export function createNoopDns(): DnsProvider {
  return {
    kind: "none",
    async upsert() {},
    async remove() {},
  };
}
