// The reference for opening the Users page, in plain JavaScript (see vanilla-page.html): reads
// /api/me and then the same token list the app reads (GET /api/workspaces/{ws}/tokens, no
// query string) with the page's session cookie, and renders what the app renders once both
// have arrived: the header's workspace, user and Admin link, the client details, the toolbar,
// the filters and the table, its rows in the app's default view (newest first, the first page
// of 50) with the app's markup: checkbox, name, status, created, expires, last used, hint and
// the row's menu button. One delegated listener makes the checkboxes work, as a plain page
// would do it; the app attaches its listeners per row as it renders them.
const PAGE_SIZE = 50;
const DAY = 86_400_000;
const SOON = 7 * DAY;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const date = (ms) => { const d = new Date(ms); return `${MONTHS[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()}`; };
// Calendar days in the browser's time zone, as the app counts them.
const midnight = (ms) => { const d = new Date(ms); return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()); };
const relative = (now, at) => {
  const d = Math.round((midnight(at) - midnight(now)) / DAY);
  return d === 0 ? 'today' : d > 0 ? `in ${d} day${d === 1 ? '' : 's'}` : `${-d} day${d === -1 ? '' : 's'} ago`;
};
const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const $ = (id) => document.getElementById(id);

function row(t, now, menuId) {
  const expires = Date.parse(t.expires_at);
  const used = t.last_used_at ? Date.parse(t.last_used_at) : null;
  const status = t.disabled_at ? 'disabled' : expires <= now ? 'expired' : 'active';
  const soon = status === 'active' && expires - now < SOON;
  const label = { active: 'Active', disabled: 'Disabled', expired: 'Expired' }[status];
  const name = esc(t.name);
  return `<tr${status === 'active' ? '' : ' class="inactive"'} data-id="${esc(t.id)}"><td class="select-cell"><input type="checkbox" aria-label="Select ${name}"></td>` +
    `<th class="name" scope="row">${name}</th><td data-label="Status"><span class="status status-${status}">${label}</span></td>` +
    `<td data-label="Created">${date(Date.parse(t.created_at))}</td><td${soon ? ' class="soon"' : ''} data-label="Expires"><span>${date(expires)}</span>` +
    `<span class="muted small">${relative(now, expires)}</span>${soon ? '<span class="badge-soon">Expires soon</span>' : ''}</td>` +
    `<td data-label="Last used">${used === null ? 'Never' : relative(now, used)}</td>` +
    `<td data-label="Ends with"><code class="hint">…${esc(t.hint)}</code></td><td class="menu-cell"><div class="row-menu">` +
    `<button class="button button-icon" type="button" aria-haspopup="menu" aria-expanded="false" aria-controls="row-menu-${menuId}" aria-label="Actions for ${name}">` +
    '<span aria-hidden="true">⋮</span></button></div></td></tr>';
}

const HEAD = '<caption class="visually-hidden">API tokens</caption><thead><tr><th class="select-cell" scope="col">' +
  '<input type="checkbox" aria-label="Select all tokens in view"></th><th scope="col" aria-sort="none"><button class="sort-button" type="button">' +
  'Name<span class="sort-arrow" aria-hidden="true"></span></button></th><th class="phone-hidden" scope="col">Status</th>' +
  '<th scope="col" aria-sort="descending"><button class="sort-button" type="button">Created<span class="sort-arrow" aria-hidden="true">▼</span></button></th>' +
  '<th scope="col" aria-sort="none"><button class="sort-button" type="button">Expires<span class="sort-arrow" aria-hidden="true"></span></button></th>' +
  '<th scope="col" aria-sort="none"><button class="sort-button" type="button">Last used<span class="sort-arrow" aria-hidden="true"></span></button></th>' +
  '<th class="phone-hidden" scope="col">Ends with</th><th class="phone-hidden" scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>';

const TOOLBAR = '<div class="bulk-toolbar idle"><span class="bulk-count" aria-live="polite"></span>' +
  '<span class="bulk-hint">Select tokens to disable or delete several at once.</span>' +
  '<button class="button" type="button" hidden disabled>Disable 0</button>' +
  '<button class="button button-danger" type="button" hidden>Delete 0</button>' +
  '<button class="button button-quiet" type="button" hidden>Clear</button></div>';

const FILTERS = '<div class="filters"><label class="field-inline"><span>Search by name</span><input type="search"></label>' +
  '<label class="field-inline"><span>Status</span><select><option value="" selected>All</option><option value="active">Active</option>' +
  '<option value="disabled">Disabled</option><option value="expired">Expired</option></select></label></div>';

/** The selection: ticking a row marks it and counts it in the toolbar; the header ticks all. */
function follow(content) {
  const toolbar = content.querySelector('.bulk-toolbar');
  const [count, hint] = toolbar.children;
  const buttons = toolbar.querySelectorAll('button');
  const boxes = content.querySelectorAll('tbody input[type=checkbox]');
  const header = content.querySelector('thead input[type=checkbox]');
  const paint = () => {
    const n = [...boxes].filter((b) => b.checked).length;
    for (const b of boxes) b.closest('tr').classList.toggle('selected', b.checked);
    toolbar.classList.toggle('idle', n === 0);
    count.textContent = n === 0 ? '' : `${n} selected`;
    hint.hidden = n > 0;
    buttons[0].textContent = `Disable ${n}`;
    buttons[1].textContent = `Delete ${n}`;
    for (const b of buttons) b.hidden = n === 0;
    buttons[0].disabled = n === 0;
    header.checked = n === boxes.length;
    header.indeterminate = n > 0 && n < boxes.length;
  };
  content.addEventListener('change', (ev) => {
    if (ev.target === header) for (const b of boxes) b.checked = header.checked;
    if (ev.target.type === 'checkbox') paint();
  });
}

async function json(path) {
  // A plain GET, so that the preloaded /api/me (vanilla-page.html) is the one used.
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

const content = $('content');
try {
  const me = await json('/api/me');
  const asked = new URLSearchParams(location.search).get('workspace');
  const workspace = me.workspaces.find((w) => w.id === asked) ?? me.workspaces[0];
  $('workspace').innerHTML = me.workspaces
    .map((w) => `<option value="${esc(w.id)}"${w === workspace ? ' selected' : ''}>${esc(w.name)}</option>`).join('');
  $('who').textContent = `Signed in as ${me.user.email}`;
  if (!workspace) {
    content.innerHTML = '<p class="empty">You are not a member of any workspace yet.</p>';
  } else {
    const ws = encodeURIComponent(workspace.id);
    $('nav-tokens').href = `/w/${ws}/tokens`;
    $('nav-admin').href = `/w/${ws}/admin/tokens`;
    $('nav-admin').hidden = workspace.role !== 'admin';
    $('client-id').value = workspace.client_id;
    $('token-endpoint').value = `${location.origin}/oauth2/token`;
    document.title = `API tokens · ${workspace.name} – Token Console`;
    const { tokens } = await json(`/api/workspaces/${ws}/tokens`);
    if (tokens.length === 0) {
      content.innerHTML = TOOLBAR + '<div class="empty"><p>You have no tokens in this workspace yet.</p>' +
        '<button class="button button-primary" type="button">Generate token</button></div>';
    } else {
      // The app's default view: newest first (RFC 3339 UTC strings sort as their instants).
      const now = Date.now();
      const shown = [...tokens]
        .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))
        .slice(0, PAGE_SIZE);
      content.innerHTML = TOOLBAR + FILTERS + `<div class="table-wrap"><table class="tokens">${HEAD}<tbody>` +
        shown.map((t, i) => row(t, now, i + 1)).join('') + '</tbody></table></div>';
      follow(content);
    }
  }
} catch (e) {
  content.innerHTML = `<div class="error-panel" role="alert">${esc(String(e))}</div>`;
}
