// The reference: the Users page's token table in plain JavaScript, with no framework. It renders
// the same markup as the app's TokenTable (the same rows, cells, checkboxes and classes, under
// the app's own stylesheet) from the same API response, and does the same operations by direct
// DOM manipulation: select all and clear (header checkbox), toggle a row, shift-click a range,
// sort by name, search by name. This is what the browser can do; the app is measured against it.
const DAY = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const date = (ms) => { const d = new Date(ms); return `${MONTHS[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()}`; };
const days = (now, at) => {
  const midnight = (ms) => { const d = new Date(ms); return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()); };
  return Math.round((midnight(at) - midnight(now)) / DAY);
};
const relative = (now, at) => {
  const d = days(now, at);
  return d === 0 ? 'today' : d > 0 ? `in ${d} day${d === 1 ? '' : 's'}` : `${-d} day${d === -1 ? '' : 's'} ago`;
};
const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

const root = document.getElementById('table');
const toolbar = document.getElementById('toolbar');
const search = document.getElementById('search');
let rows = [];        // { id, name, tr, box }, in the order the API gave
let shown = [];       // the rows in view, in view order
let selected = new Set();
let anchor = null;
let dir = 0;          // 0: API order, 1: name ascending, -1: name descending

function rowElement(t, now, template) {
  const created = Date.parse(t.created_at);
  const expires = Date.parse(t.expires_at);
  const used = t.last_used_at ? Date.parse(t.last_used_at) : null;
  const status = t.disabled_at ? 'disabled' : expires <= now ? 'expired' : 'active';
  const soon = status === 'active' && expires - now < 7 * DAY;
  const label = { active: 'Active', disabled: 'Disabled', expired: 'Expired' }[status];
  const name = esc(t.name);
  template.innerHTML =
    `<tr${status === 'active' ? '' : ' class="inactive"'}><td class="select-cell"><input type="checkbox" aria-label="Select ${name}"></td>` +
    `<th class="name" scope="row">${name}</th><td data-label="Status"><span class="status status-${status}">${label}</span></td>` +
    `<td data-label="Created">${date(created)}</td><td${soon ? ' class="soon"' : ''} data-label="Expires"><span>${date(expires)}</span>` +
    `<span class="muted small">${relative(now, expires)}</span>${soon ? '<span class="badge-soon">Expires soon</span>' : ''}</td>` +
    `<td data-label="Last used">${used === null ? 'Never' : relative(now, used)}</td>` +
    `<td data-label="Ends with"><code class="hint">…${esc(t.hint)}</code></td><td class="menu-cell"><div class="row-menu">` +
    `<button class="button button-icon" type="button" aria-haspopup="menu" aria-expanded="false" aria-label="Actions for ${name}">` +
    '<span aria-hidden="true">⋮</span></button></div></td></tr>';
  return template.content.firstChild;
}

function paintSelection(row) {
  const on = selected.has(row.id);
  row.box.checked = on;
  row.tr.classList.toggle('selected', on);
}

function paintToolbar() {
  const n = selected.size;
  toolbar.classList.toggle('idle', n === 0);
  toolbar.firstChild.textContent = n === 0 ? '' : `${n} selected`;
  const all = shown.length > 0 && shown.every((r) => selected.has(r.id));
  header.checked = all;
  header.indeterminate = !all && shown.some((r) => selected.has(r.id));
}

/** Puts `shown` in the tbody, reusing each row's element. */
function paintRows() {
  const body = document.createElement('tbody');
  shown.forEach((row, i) => {
    row.tr.setAttribute('aria-rowindex', i + 2);
    body.append(row.tr);
  });
  table.setAttribute('aria-rowcount', shown.length + 1);
  table.querySelector('tbody').replaceWith(body);
  paintToolbar();
}

function view() {
  const q = search.value.trim().toLowerCase();
  shown = rows.filter((r) => r.name.toLowerCase().includes(q));
  if (dir !== 0) shown.sort((a, b) => dir * a.name.localeCompare(b.name));
  for (const id of [...selected]) if (!shown.some((r) => r.id === id)) selected.delete(id);
  paintRows();
}

const table = document.createElement('table');
table.className = 'tokens';
table.innerHTML = '<caption class="visually-hidden">API tokens</caption><thead><tr><th class="select-cell" scope="col">' +
  '<input type="checkbox" aria-label="Select all tokens in view"></th><th scope="col" aria-sort="none"><button class="sort-button" type="button">' +
  'Name<span class="sort-arrow" aria-hidden="true"></span></button></th><th class="phone-hidden" scope="col">Status</th>' +
  '<th scope="col" aria-sort="descending"><button class="sort-button" type="button">Created<span class="sort-arrow" aria-hidden="true">▼</span></button></th>' +
  '<th scope="col" aria-sort="none"><button class="sort-button" type="button">Expires<span class="sort-arrow" aria-hidden="true"></span></button></th>' +
  '<th scope="col" aria-sort="none"><button class="sort-button" type="button">Last used<span class="sort-arrow" aria-hidden="true"></span></button></th>' +
  '<th class="phone-hidden" scope="col">Ends with</th><th class="phone-hidden" scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody></tbody>';
const header = table.querySelector('thead input');
root.append(table);

header.addEventListener('change', () => {
  const all = shown.every((r) => selected.has(r.id));
  for (const r of shown) { if (all) selected.delete(r.id); else selected.add(r.id); paintSelection(r); }
  paintToolbar();
});
table.addEventListener('click', (ev) => {
  const box = ev.target.closest('tbody input[type=checkbox]');
  if (box) {
    const at = shown.findIndex((r) => r.box === box);
    const row = shown[at];
    const from = anchor === null ? -1 : shown.findIndex((r) => r.id === anchor);
    if (ev.shiftKey && from >= 0) {
      const select = !selected.has(row.id);
      for (const r of shown.slice(Math.min(from, at), Math.max(from, at) + 1)) {
        if (select) selected.add(r.id); else selected.delete(r.id);
        paintSelection(r);
      }
    } else {
      if (selected.has(row.id)) selected.delete(row.id); else selected.add(row.id);
      paintSelection(row);
    }
    anchor = row.id;
    paintToolbar();
    return;
  }
  const sort = ev.target.closest('th button.sort-button');
  if (sort && sort.textContent.startsWith('Name')) {
    dir = dir === 1 ? -1 : 1;
    const th = sort.parentElement;
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    sort.querySelector('.sort-arrow').textContent = dir === 1 ? '▲' : '▼';
    view();
  }
});
search.addEventListener('input', view);

const workspace = new URLSearchParams(location.search).get('workspace') ?? 'ws-acme';
const answer = await (await fetch(`/api/workspaces/${workspace}/tokens`)).json();
const now = Date.now();
const template = document.createElement('template');
rows = answer.tokens.map((t) => {
  const tr = rowElement(t, now, template);
  return { id: t.id, name: t.name, tr, box: tr.querySelector('input') };
});
view();
document.body.dataset.ready = 'true';
