// Mounts the Admins page with mount(): under the host's route /settings/tokens (the panel's
// views are deep links under it), calling the token service through the host's /svc prefix.
import { mount } from '/token-console/embed.js';

const element = document.getElementById('admin-panel');
const options = { page: 'admin', basePath: '/settings/tokens', apiBase: '/svc', locale: 'en', theme: 'auto' };
// The host's backend asks for a one-time ticket for its signed-in person, so the panel opens
// signed in (each ticket works once: a later mount asks for another).
async function ticket() {
  const as = new URLSearchParams(location.search).get('as');
  if (!as) return '';
  return (await (await fetch(`/host/ticket?as=${encodeURIComponent(as)}`)).json()).ticket;
}
let panel = await mount(element, { ...options, ticket: await ticket() });

document.getElementById('unmount').addEventListener('click', () => panel?.unmount());
document.getElementById('mount').addEventListener('click', async () => {
  if (!panel?.mounted) panel = await mount(element, { ...options, ticket: await ticket() });
});
