import { isIPv4, isIPv6 } from "node:net";
import { OpsError } from "../../core/errors.js";
import type { PreviewContext } from "./preview-context.js";
import type { PreviewNames } from "./preview-names.js";

/** Upsert the preview's record; a failure fails the deploy, or is a warning when `dnsFailOnError` is false. */
export async function publishPreviewDns(ctx: PreviewContext, n: PreviewNames, warnings: string[]): Promise<void> {
  const { config, dns, redact, log } = ctx;
  const target = config.dns_target;
  if (!target) return;
  const type = isIPv4(target) ? "A" : isIPv6(target) ? "AAAA" : "CNAME";
  try {
    await dns.upsert({ name: n.hostname, type, content: target });
  } catch (err) {
    const reason = redact(err instanceof Error ? err.message : String(err));
    if (ctx.dnsFailOnError) {
      const next = err instanceof OpsError ? `${err.nextStep} ` : "";
      throw new OpsError(err instanceof OpsError ? err.code : "external_api", `preview ${n.slug}: publishing DNS record ${n.hostname} failed: ${reason}`, `${next}To keep previews up when DNS fails, set dns.fail_on_error: false.`, { cause: err });
    }
    log.warn({ err: reason, slug: n.slug, hostname: n.hostname }, "DNS record not published; preview kept (dns.fail_on_error is false)");
    warnings.push(`DNS record ${n.hostname} could not be published (${reason}); the preview is up but its name does not resolve until DNS is fixed and it is deployed again`);
  }
}
