// The host's side of a framed panel that the host signs in: whenever the frame says it is
// signed out (`ticket-wanted`, checked to come from the frame, at the service's origin), the
// host's backend mints a one-time ticket for the person signed in to the host, and the page
// posts it to the frame, at the service's origin only. Nothing is posted for nobody.
const frame = document.querySelector('iframe[data-service]');
const service = new URL(frame.src).origin;
// Who is signed in to this stand-in host: the page's `?as=` (a real host knows from its session).
const person = new URLSearchParams(location.search).get('as');
window.addEventListener('message', async (event) => {
  if (event.origin !== service || event.source !== frame.contentWindow) return;
  if (event.data?.source !== 'token-console' || event.data.event !== 'ticket-wanted' || !person) return;
  const answer = await fetch(`/host/ticket?as=${encodeURIComponent(person)}`, { cache: 'no-store' });
  const { ticket } = answer.ok ? await answer.json() : {};
  if (ticket) frame.contentWindow.postMessage(ticket, service);
});
