// The reference: the Users page's token table in plain JavaScript, with no framework. It renders
// the same markup as the app's TokenTable (the same rows, cells, checkboxes and classes, under
// the app's own stylesheet) from the same API response, and does the same operations by direct
// DOM manipulation: select all and clear (header checkbox), toggle a row, shift-click a range,
// sort by name, search by name. This is what the browser can do; the app is measured against it.
//
// `?rows=window` renders a long list as the app does (src/components/token_table/window.rs):
// past 200 rows, only the rows near the viewport plus 30 beyond each edge, between two spacer
// rows of the height of the rows left out, moved in steps of 30 rows when the viewport comes
// within 15 rows of an edge, from the rendered rows' place on screen and measured height, on
// every scroll and resize and after every render. `?rows=all` (the default) renders every row:
// beside the windowed figure, what windowing buys.
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

const WINDOWED = new URLSearchParams(location.search).get('rows') === 'window';
/** Past this many rows the list is windowed (window.rs WINDOWED_FROM). */
const WINDOWED_FROM = 200;
/** Rows rendered beyond each edge of the viewport; the window moves in steps of this many. */
const OVERSCAN = 30;
const COLUMNS = 8;

const root = document.getElementById('table');
const toolbar = document.getElementById('toolbar');
const search = document.getElementById('search');
let rows = [];        // { id, name, token, tr, box }, in the order the API gave; tr and box
                      // made when the row is first rendered
let now = Date.now();
let shown = [];       // the rows in view, in view order
let selected = new Set();
let anchor = null;
let dir = 0;          // 0: API order, 1: name ascending, -1: name descending
// The rendered rows, `start..end` of `shown`, and a row's height in CSS pixels as last measured.
let at = { start: 0, end: 2 * OVERSCAN, rowPx: 48 };
const template = document.createElement('template');

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

/** The row's element, made the first time it is needed. */
function element(row) {
  if (!row.tr) {
    row.tr = rowElement(row.token, now, template);
    row.box = row.tr.querySelector('input');
  }
  return row.tr;
}

const windowed = () => WINDOWED && shown.length > WINDOWED_FROM;
/** The rows in the document, with their places in `shown`. */
function rendered() {
  if (!windowed()) return shown.map((row, i) => [i, row]);
  const end = Math.min(at.end, shown.length);
  const start = Math.min(at.start, end);
  return shown.slice(start, end).map((row, i) => [start + i, row]);
}

function paintSelection(row) {
  if (!row.tr) return; // painted when rendered
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

/** A spacer row standing in for `n` rows left out. */
function spacer(n) {
  const tr = document.createElement('tr');
  tr.className = 'spacer';
  tr.setAttribute('aria-hidden', 'true');
  const td = document.createElement('td');
  td.colSpan = COLUMNS;
  td.style.height = `${Math.round(n * at.rowPx)}px`;
  tr.append(td);
  return tr;
}

/** Puts the rows to render in the tbody, reusing each row's element. */
function paintRows() {
  const body = document.createElement('tbody');
  const windowedNow = windowed();
  const list = rendered();
  if (windowedNow && list.length && list[0][0] > 0) body.append(spacer(list[0][0]));
  for (const [i, row] of list) {
    const tr = element(row);
    tr.setAttribute('aria-rowindex', i + 2);
    if (windowedNow) paintSelection(row);
    body.append(tr);
  }
  const after = shown.length - (list.length ? list.at(-1)[0] + 1 : Math.min(at.start, shown.length));
  if (windowedNow && after > 0) body.append(spacer(after));
  table.setAttribute('aria-rowcount', shown.length + 1);
  table.querySelector('tbody').replaceWith(body);
  paintToolbar();
  if (windowedNow) requestAnimationFrame(place);
}

/** Measures the rendered rows and moves the window to the viewport, when the viewport has come
 * near an edge of the window (window.rs `place`, line for line). */
function place() {
  const len = shown.length;
  if (!windowed()) return;
  const body = table.querySelector('tbody');
  const viewport = innerHeight;
  let { start, end, rowPx } = at;
  const first = body.querySelector('tr[aria-rowindex]');
  let last = body.lastElementChild;
  if (last?.className === 'spacer') last = last.previousElementSibling;
  const count = Math.max(Math.min(end, len) - start, 0);
  let top;
  if (first && last && count > 0) {
    const y = first.getBoundingClientRect().top;
    const measured = (last.getBoundingClientRect().bottom - y) / count;
    if (measured >= 1 && Math.abs(measured - rowPx) > 0.5) {
      // The spacer above changes by as much: scroll by it too, so the rows in view stay put.
      scrollBy(0, Math.min(start, len) * (measured - rowPx));
      rowPx = measured;
    }
    top = start - y / rowPx;
  } else {
    top = -body.getBoundingClientRect().top / rowPx;
  }
  const firstRow = Math.floor(Math.max(top, 0));
  const lastRow = Math.min(firstRow + Math.ceil(viewport / rowPx) + 1, len);
  const margin = OVERSCAN / 2;
  if (!(start <= Math.max(firstRow - margin, 0) && end >= Math.min(lastRow + margin, len))) {
    start = Math.floor(Math.max(firstRow - OVERSCAN, 0) / OVERSCAN) * OVERSCAN;
    end = Math.min(Math.ceil((lastRow + OVERSCAN) / OVERSCAN) * OVERSCAN, len);
  }
  if (start !== at.start || end !== at.end || rowPx !== at.rowPx) {
    at = { start, end, rowPx };
    paintRows();
  }
}
if (WINDOWED) for (const event of ['scroll', 'resize']) addEventListener(event, place, true);

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
    const index = shown.findIndex((r) => r.box === box);
    const row = shown[index];
    const from = anchor === null ? -1 : shown.findIndex((r) => r.id === anchor);
    if (ev.shiftKey && from >= 0) {
      const select = !selected.has(row.id);
      for (const r of shown.slice(Math.min(from, index), Math.max(from, index) + 1)) {
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
now = Date.now();
rows = answer.tokens.map((t) => ({ id: t.id, name: t.name, token: t, tr: null, box: null }));
view();
document.body.dataset.ready = 'true';
