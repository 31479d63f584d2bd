import { defineConfig } from '@playwright/test';

// The real token service, on a fresh SQLite database with the demo data, serving the release
// build of the app from ../dist. `cargo xtask test` builds both first. Beside it, on a second
// loopback origin, the example host app (../examples/host-server.mjs), which may frame the
// service's /embed pages.
const port = 18181;
export const hostPort = 18182;
// Two OpenID Providers the sign-in tests connect workspaces to: panva's oidc-provider (npm) and
// oidc-provider-mock (PyPI), each on its own loopback port.
export const nodeProviderPort = 18186;
export const mockProviderPort = 18187;
// GitHub's secret scanning keys, as tests/leaks.spec.ts publishes them on loopback.
export const scanningKeysPort = 18188;
/** Where the audit streaming test's receiver listens (a loopback destination: development mode). */
export const streamReceiverPort = 18189;

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 2 : 0,
  timeout: 30_000,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'on-first-retry',
    browserName: 'chromium',
    launchOptions: {
      // Debian's Chromium: Playwright's own browser download cannot work here.
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command:
        `rm -rf .e2e-data && ../target/debug/token-server --listen 127.0.0.1:${port} ` +
        `--database-url sqlite://.e2e-data/e2e.db --dist ../dist --seed-demo --development ` +
        `--frame-ancestors http://127.0.0.1:${hostPort},http://localhost:${hostPort} ` +
        `--secret-scanning-keys-url http://127.0.0.1:${scanningKeysPort}/meta/public_keys/secret_scanning ` +
        // No notices' rounds: every 15 s they would add the seeded tokens' expiry notices to the
        // audit trail and the tokens' histories the suite reads (the notices have tests of their
        // own: crates/token-server/tests/api/notices.rs, end2end/notices/smtp_notices.py).
        `--notices-every-seconds 0`,
      url: `http://127.0.0.1:${port}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      // The service's own lines, without one access line per request of the whole suite.
      env: { RUST_LOG: 'token_server=info,token_server::access=off' },
    },
    {
      command:
        `node ../examples/host-server.mjs --port ${hostPort} --service http://127.0.0.1:${port} ` +
        `--dist ../dist --static ./fixtures --host-key-file .e2e-data/host.key`,
      url: `http://127.0.0.1:${hostPort}/`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `node idp/node-provider.mjs --port ${nodeProviderPort}`,
      url: `http://127.0.0.1:${nodeProviderPort}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'ignore',
    },
    {
      command: `.venv/bin/python -m oidc_provider_mock --port ${mockProviderPort}`,
      url: `http://127.0.0.1:${mockProviderPort}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'ignore',
    },
  ],
});
