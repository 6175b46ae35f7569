import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests share one dockerd and one sshd on a 2-core machine: keep concurrency modest.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
