import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { OpsError } from "../../src/core/errors.js";
import { Previews } from "../../src/config/schema.js";
import { getPreviewNames } from "../../src/ops/previews/preview-names.js";
import { branchToSlug, MAX_SLUG_LENGTH, parseTtl, SLUG_PATTERN, toSlug, validateBranch, validateSha } from "../../src/ops/previews/slug.js";

const DAY = 86_400_000;

function badInput(fn: () => unknown): OpsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe("bad_input");
    expect((err as OpsError).nextStep.length).toBeGreaterThan(0);
    return err as OpsError;
  }
  throw new Error("expected a bad_input OpsError");
}

describe("toSlug", () => {
  it("maps the seed examples", () => {
    expect(toSlug("feature/add-metrics")).toBe("feature-add-metrics");
    expect(toSlug("feature_test_branch")).toBe("feature-test-branch");
    expect(toSlug("Feature/ADD--Metrics//x_")).toBe("feature-add-metrics-x");
  });

  it("keeps a 51-character branch whole: preview-<slug> is 59 characters", () => {
    const branch = `feature/${"a".repeat(43)}`;
    expect(branch).toHaveLength(51);
    expect(toSlug(branch)).toBe(`feature-${"a".repeat(43)}`);
  });

  it("cuts a 60-character branch to 46 characters + '-' + 8 hex of sha1(raw branch), so preview-<slug> is 63", () => {
    const branch = `feature/${"a".repeat(52)}`;
    expect(branch).toHaveLength(60);
    const slug = toSlug(branch);
    const hash = createHash("sha1").update(branch).digest("hex").slice(0, 8);
    expect(slug).toBe(`feature-${"a".repeat(38)}-${hash}`);
    expect(slug).toHaveLength(MAX_SLUG_LENGTH);
    expect(`preview-${slug}`).toHaveLength(63);
    expect(slug).toMatch(SLUG_PATTERN);
  });

  it("keeps every derived name within 63 characters for branches of 51, 55, 56, 60 and 200 characters", () => {
    const config = Previews.parse({ host: "h", base_dir: "/srv/p", domain: "preview.example.com", image: "x:{ref}" });
    for (const len of [51, 55, 56, 60, 200, 255]) {
      const slug = toSlug("f".repeat(len));
      const n = getPreviewNames(config, "/srv/p", slug);
      for (const name of [n.project, n.network, n.hostname.split(".")[0] ?? ""]) {
        expect(name.length, `${len}: ${name}`).toBeLessThanOrEqual(63);
        expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
      }
      expect(n.project).toBe(`preview-${slug}`);
    }
  });

  it("keeps two long branches with the same first 46 characters distinct", () => {
    const head = `release/${"x".repeat(45)}`;
    const a = toSlug(`${head}-alpha`);
    const b = toSlug(`${head}-beta`);
    expect(a).not.toBe(b);
    expect(a.slice(0, 46)).toBe(b.slice(0, 46));
    expect(a).toMatch(SLUG_PATTERN);
    expect(b).toMatch(SLUG_PATTERN);
  });

  it("does not leave a dash before the hash when character 46 is a dash", () => {
    const branch = `${"b".repeat(45)}/${"c".repeat(20)}`;
    const slug = toSlug(branch);
    expect(slug).toMatch(/^b{45}-[0-9a-f]{8}$/);
  });

  it("folds full-width letters with NFKC and drops what does not fold to ASCII", () => {
    expect(toSlug("ｆｅａｔｕｒｅ/ｘ")).toBe("feature-x");
    expect(toSlug("café/über")).toBe("caf-ber");
    expect(toSlug("fix/😀-emoji")).toBe("fix-emoji");
  });

  it("refuses a branch with no letters or digits", () => {
    expect(badInput(() => toSlug("$$$///___")).message).toMatch(/no letters or digits/);
    badInput(() => toSlug("😀😀"));
  });
});

describe("bad branch input: a clear error or a safe slug", () => {
  const cases: Array<[string, string]> = [
    ["$(touch /tmp/pwned)", "touch-tmp-pwned"],
    ["`id`", "id"],
    ["a;reboot", "areboot"],
    ["x'; rm -rf / #", "xrm-rf"],
    ["日本語/ブランチ-1", "1"],
  ];
  for (const [raw, slug] of cases) {
    it(`${JSON.stringify(raw)} → ${slug}`, () => {
      expect(branchToSlug(raw)).toBe(slug);
      expect(branchToSlug(raw)).toMatch(SLUG_PATTERN);
    });
  }

  const refused: Array<[string, string, RegExp]> = [
    ["line break", "a\nb", /line break/],
    ["carriage return", "a\rb", /control/],
    ["NUL", "a\u0000b", /control/],
    ["dot dot", "../../etc", /\.\./],
    ["500 characters", "a".repeat(500), /255/],
    ["empty", "", /empty/],
    ["only symbols", "!@#$%^&*()", /no letters or digits/],
    ["leading dash", "--help", /starts with "-"/],
    ["unicode only", "ñ́ü", /no letters or digits/],
  ];
  for (const [name, raw, message] of refused) {
    it(`refuses ${name}`, () => {
      expect(badInput(() => branchToSlug(raw)).message).toMatch(message);
    });
  }

  it("accepts 255 characters and refuses 256", () => {
    expect(validateBranch("a".repeat(255))).toHaveLength(255);
    badInput(() => validateBranch("a".repeat(256)));
  });
});

describe("validateSha and parseTtl", () => {
  it("accepts 7-40 lowercase hex and nothing else", () => {
    expect(validateSha("3f2a9c1")).toBe("3f2a9c1");
    expect(validateSha("a".repeat(40))).toHaveLength(40);
    for (const bad of ["3f2a9c", "A3F2A9C1", "a".repeat(41), "3f2a9c1;id", "$(id)", "g123456", ""]) badInput(() => validateSha(bad));
  });

  it("parses durations up to the maximum", () => {
    expect(parseTtl("3d", 14 * DAY)).toBe(3 * DAY);
    expect(parseTtl("12h", 14 * DAY)).toBe(12 * 3_600_000);
    expect(parseTtl("14d", 14 * DAY)).toBe(14 * DAY);
    expect(badInput(() => parseTtl("15d", 14 * DAY)).message).toBe('--ttl "15d" is longer than the maximum; it must be from 1m to 14d');
    expect(badInput(() => parseTtl("0", 14 * DAY)).message).toBe('--ttl "0" is shorter than the minimum; it must be from 1m to 14d');
    expect(badInput(() => parseTtl("banana", 14 * DAY)).message).toBe('--ttl "banana" is not a duration; it must be from 1m to 14d');
    for (const bad of ["0", "0d", "-1d", "soon", "", "1 fortnight", "3d;id"]) badInput(() => parseTtl(bad, 14 * DAY));
  });
});

describe("preview DNS label", () => {
  it("stays within one DNS label (63 characters) and keeps long slugs distinct", async () => {
    const { previewDnsLabel } = await import("../../src/ops/previews/preview-names.js");
    const { toSlug } = await import("../../src/ops/previews/slug.js");
    expect(previewDnsLabel("feature-add-metrics")).toBe("preview-feature-add-metrics");
    const a = toSlug(`feature/${"x".repeat(60)}-one`);
    const b = toSlug(`feature/${"x".repeat(60)}-two`);
    const la = previewDnsLabel(a);
    const lb = previewDnsLabel(b);
    expect(la.length).toBeLessThanOrEqual(63);
    expect(la).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    expect(la).not.toBe(lb);
    expect(la.endsWith(a.slice(-8))).toBe(true);
  });
});
