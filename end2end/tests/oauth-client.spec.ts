import * as client from 'openid-client';
import * as jose from 'jose';
import { test, expect, PASSWORD } from './support';

// An off-the-shelf OAuth 2.0 client (openid-client, a certified implementation) uses a token
// generated through the API exactly as the docs say a real client would.
test('a standard OAuth 2.0 client refreshes, verifies and uses a generated token, until it is disabled', async ({ request, baseURL }) => {
  const me = await (await request.post('/api/session', { data: { email: 'ben@acme.test', password: PASSWORD } })).json();
  const csrf = { 'x-csrf-token': me.csrf_token };
  const acme = me.workspaces.find((w: { name: string }) => w.name === 'Acme');
  const created = await (
    await request.post(`/api/workspaces/${acme.id}/tokens`, { data: { name: 'openid-client', lifetime_days: 7, all_permissions: true }, headers: csrf })
  ).json();

  // RFC 8414 discovery, a public client that sends its id in the form.
  const config = await client.discovery(new URL(baseURL!), acme.client_id, undefined, client.None(), {
    algorithm: 'oauth2',
    execute: [client.allowInsecureRequests],
  });
  const tokens = await client.refreshTokenGrant(config, created.refresh_token);
  expect(tokens.token_type).toBe('bearer');
  expect(tokens.expires_in).toBe(3600);
  expect(tokens.refresh_token).toMatch(/^tcr_[0-9A-Za-z]{36}$/);
  expect(tokens.refresh_token).not.toBe(created.refresh_token);

  // The access token verifies against the published JWKS as an RFC 9068 token.
  const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
  const { payload, protectedHeader } = await jose.jwtVerify(tokens.access_token, jwks, {
    issuer: config.serverMetadata().issuer,
    audience: config.serverMetadata().issuer,
    typ: 'at+jwt',
  });
  expect(protectedHeader.alg).toBe('EdDSA');
  expect(payload).toMatchObject({ sub: me.user.id, client_id: acme.client_id, workspace: acme.id });

  // It works on the protected resource of its workspace, and not of another.
  const auth = { Authorization: `Bearer ${tokens.access_token}` };
  const who = await request.get(`/api/resource/workspaces/${acme.id}/whoami`, { headers: auth });
  expect(await who.json()).toMatchObject({ email: 'ben@acme.test', workspace_name: 'Acme' });
  const elsewhere = await request.get('/api/resource/workspaces/ws-globex/whoami', { headers: auth });
  expect(elsewhere.status()).toBe(403);

  // Disabled on the page's API: the refresh token stops, and so does the access token wherever
  // the service is asked (its resource, introspection); a resource server that verifies the JWT
  // by itself accepts it until it expires, within the hour, as the README says.
  const disabled = await request.post(`/api/workspaces/${acme.id}/tokens/${created.token.id}/disable`, { headers: csrf });
  expect(disabled.ok()).toBeTruthy();
  await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  expect((await request.get(`/api/resource/workspaces/${acme.id}/whoami`, { headers: auth })).status()).toBe(401);
  await expect(jose.jwtVerify(tokens.access_token, jwks, { issuer: config.serverMetadata().issuer })).resolves.toBeTruthy();
});
