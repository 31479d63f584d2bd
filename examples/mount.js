// Mounts the Admins page with mount(): under the host's route /settings/tokens (the panel's
// views are deep links under it), calling the token service through the host's /svc prefix.
import { mount } from '/token-console/embed.js';

const element = document.getElementById('admin-panel');
const options = { page: 'admin', basePath: '/settings/tokens', apiBase: '/svc', locale: 'en', theme: 'auto' };
let panel = await mount(element, options);

document.getElementById('unmount').addEventListener('click', () => panel?.unmount());
document.getElementById('mount').addEventListener('click', async () => {
  if (!panel?.mounted) panel = await mount(element, options);
});
