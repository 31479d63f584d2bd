const { request } = require('@playwright/test');
(async () => {
  const r = await request.newContext({ baseURL: 'http://127.0.0.1:18190' });
  const me = await (await r.post('/api/session', { data: { email: 'ben@acme.test', password: 'demo-password' } })).json();
  const h = { 'x-csrf-token': me.csrf_token };
  const mk = async (data) => (await r.post('/api/workspaces/ws-acme/tokens', { data, headers: h })).json();
  const a = await mk({ name: 'Reviewer token', lifetime_days: 30, description: 'Used by the nightly review bot in the platform-infra repository; ask #platform before changing it' });
  await mk({ name: 'Reviewer token', lifetime_days: 30, replaces: { token_id: a.token.id, overlap: '1d' } });
  const b = await mk({ name: 'Nightly backup uploader', lifetime_days: 90 });
  const ex = (t) => r.post('/oauth2/token', { form: { grant_type: 'refresh_token', client_id: 'tcc_acme', refresh_token: t } });
  const first = await (await ex(b.refresh_token)).json();
  await ex(first.refresh_token);
  await new Promise((res) => setTimeout(res, 1100));
  await ex(b.refresh_token);
  console.log('ok');
})();
