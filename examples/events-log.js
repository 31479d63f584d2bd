// Lists the panel's events on the host page: from a mounted panel (DOM events on its element)
// and from the iframe page (messages from the token service's origin, checked).
const log = document.getElementById('host-events');
const show = (payload) => {
  const item = document.createElement('li');
  item.textContent = JSON.stringify(payload);
  log?.append(item);
};
for (const name of ['token-created', 'token-disabled', 'token-deleted']) {
  document.addEventListener(`token-console:${name}`, (event) => show(event.detail));
}
const frame = document.querySelector('iframe[data-service]');
window.addEventListener('message', (event) => {
  if (frame && event.origin === new URL(frame.src).origin && event.data?.source === 'token-console') show(event.data);
});
