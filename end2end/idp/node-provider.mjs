// A real OpenID Provider for the sign-in tests: panva's oidc-provider (npm), on loopback, with
// its own development login and consent pages. The test's people and their groups are below;
// two loopback-only routes let a test change a person's groups and rotate the signing key, as
// an identity provider's admin would.
//
//   node idp/node-provider.mjs --port 18186
//
// Each workspace has its own redirect URI (`…/api/sso/callback/<workspace id>`), known once the
// test has made the workspace: POST /test/redirect registers one, as an admin adds it to the
// client at their provider; POST /test/post-logout registers where the provider may send the
// browser back after signing it out (RP-Initiated Logout).
import http from 'node:http';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '18183' },
    'client-secret': { type: 'string', default: 'node-provider-client-secret' },
  },
});
const issuer = `http://127.0.0.1:${args.port}`;
const redirects = [];
const postLogout = [];

// The people the provider knows, by subject: what they sign in with on its login page.
const people = new Map([
  ['dana', { email: 'dana@initech.test', email_verified: true, name: 'Dana Initech', groups: ['staff', 'token-admins'] }],
  ['erin', { email: 'erin@initech.test', email_verified: true, name: 'Erin Initech', groups: ['staff'] }],
  ['gina', { email: 'gina@hooli.test', email_verified: true, name: 'Gina Hooli', groups: ['staff'] }],
]);

async function signingKey(n) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `node-${n}-${Date.now()}`, alg: 'RS256', use: 'sig' };
}

async function provider(n) {
  const p = new Provider(issuer, {
    clients: [{
      client_id: 'token-console',
      client_secret: args['client-secret'],
      redirect_uris: redirects.length ? redirects : ['http://127.0.0.1/unset'],
      post_logout_redirect_uris: postLogout,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [await signingKey(n)] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    findAccount: (_ctx, sub) => people.has(sub) && {
      accountId: sub,
      claims: () => ({ sub, ...people.get(sub) }),
    },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    pkce: { required: () => true },
  });
  p.proxy = false;
  return p;
}

let current = await provider(1);
let generation = 1;

http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  if (req.method === 'POST' && url.pathname === '/test/rotate') {
    // A new signing key, the old one withdrawn: ID tokens from now on name a kid nobody cached.
    generation += 1;
    current = await provider(generation);
    res.writeHead(204).end();
    return;
  }
  const registers = { '/test/redirect': redirects, '/test/post-logout': postLogout }[url.pathname];
  if (req.method === 'POST' && registers) {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (!registers.includes(body)) registers.push(body);
    current = await provider(generation);
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'POST' && url.pathname.startsWith('/test/groups/')) {
    const sub = decodeURIComponent(url.pathname.slice('/test/groups/'.length));
    let body = '';
    for await (const chunk of req) body += chunk;
    const person = people.get(sub);
    if (!person) { res.writeHead(404).end(); return; }
    person.groups = JSON.parse(body);
    res.writeHead(204).end();
    return;
  }
  current.callback()(req, res);
}).listen(Number(args.port), '127.0.0.1', () => {
  console.log(`oidc-provider at ${issuer}`);
});
