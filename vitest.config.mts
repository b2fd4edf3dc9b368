import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Integration tests start real processes (terraform, etcd, PostgreSQL); give them room.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
