// The dashboard: three views over the REST API (/api/v1), no framework and no build step.
// Everything shown comes from the API and is set as text (never as HTML): log lines, VM names
// and build numbers are guest or fleet input.

const SVG = 'http://www.w3.org/2000/svg';
const TOP_BUILDS = 15;

/** GET an API path; a problem+json answer becomes an Error carrying its detail. */
async function api(path, params = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
  }
  const response = await fetch(url);
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && typeof body.detail === 'string' ? body.detail : response.statusText;
    throw new Error(`${response.status}: ${detail}`);
  }
  return body;
}

/** Every page of a cursor-paginated list, up to `max` items. */
async function all(path, params, max) {
  const items = [];
  let cursor;
  do {
    const page = await api(path, { ...params, limit: 1000, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < max);
  return items;
}

const section = (id) => document.getElementById(id);

function status(element, text, error = false) {
  element.textContent = text;
  element.classList.toggle('error', error);
}

function el(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function svgEl(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** Fills a table: a header row, then one row per item; `onClick` makes rows clickable. */
function fillTable(table, columns, items, onClick) {
  table.replaceChildren();
  const head = el('thead');
  const headRow = el('tr');
  for (const [title] of columns) headRow.append(el('th', {}, title));
  head.append(headRow);
  const body = el('tbody');
  for (const item of items) {
    const row = el('tr', onClick ? { class: 'clickable', tabindex: 0 } : {});
    for (const [, value, cls] of columns)
      row.append(el('td', cls ? { class: cls } : {}, value(item)));
    if (onClick) {
      row.addEventListener('click', () => {
        for (const other of body.children) other.classList.remove('selected');
        row.classList.add('selected');
        onClick(item);
      });
    }
    body.append(row);
  }
  table.append(head, body);
}

const buildLabel = (b) => `${b.productName ?? `product ${b.product ?? '?'}`} ${b.build ?? '?'}`;
const hex = (n, width) =>
  n === null || n === undefined ? '' : `0x${n.toString(16).padStart(width, '0')}`;
const time = (iso) => (iso ? iso.replace('T', ' ').replace('Z', '') : '');

/** Horizontal bars, one per item, longest = full width; labels left of the bars. */
function barChart(svg, items) {
  const rowHeight = 20;
  const labelWidth = 230;
  const width = 640;
  const max = Math.max(1, ...items.map((i) => i.value));
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${items.length * rowHeight + 4}`);
  items.forEach((item, index) => {
    const y = index * rowHeight + 2;
    const length = ((width - labelWidth - 50) * item.value) / max;
    svg.append(svgEl('text', { x: labelWidth - 6, y: y + 13, 'text-anchor': 'end' }, item.label));
    const bar = svgEl('rect', {
      x: labelWidth,
      y,
      width: Math.max(1, length),
      height: rowHeight - 4,
      class: item.cls,
      ...item.data,
    });
    bar.append(svgEl('title', {}, item.title));
    if (item.onClick) bar.addEventListener('click', item.onClick);
    svg.append(bar, svgEl('text', { x: labelWidth + length + 4, y: y + 13 }, item.value));
  });
}

/** One column per day, honoured hits below ignored ones. */
function dayChart(svg, days) {
  const height = 160;
  const width = 640;
  const column = Math.min(40, (width - 40) / Math.max(1, days.length));
  const max = Math.max(1, ...days.map((d) => d.honoured + d.ignored));
  const scale = (height - 30) / max;
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  days.forEach((d, index) => {
    const x = 30 + index * column;
    const honoured = d.honoured * scale;
    const ignored = d.ignored * scale;
    const base = height - 16;
    const group = svgEl('g', { 'data-day': d.day, 'data-hits': d.honoured + d.ignored });
    group.append(
      svgEl('rect', {
        x,
        y: base - honoured,
        width: column - 4,
        height: honoured,
        class: 'honoured',
      }),
      svgEl('rect', {
        x,
        y: base - honoured - ignored,
        width: column - 4,
        height: ignored,
        class: 'ignored',
      }),
      svgEl('title', {}, `${d.day}: ${d.honoured} honoured, ${d.ignored} ignored`),
      svgEl(
        'text',
        { x: x + (column - 4) / 2, y: height - 3, 'text-anchor': 'middle' },
        d.day.slice(5),
      ),
    );
    svg.append(group);
  });
}

async function loadBuilds() {
  const view = section('builds');
  const message = view.querySelector('[data-status]');
  status(message, 'Loading…');
  try {
    const builds = await all('/api/v1/fleet/builds', {}, 10_000);
    const top = [...builds].sort((a, b) => b.guests - a.guests).slice(0, TOP_BUILDS);
    barChart(
      view.querySelector('[data-chart]'),
      top.map((b) => ({
        label: buildLabel(b),
        value: b.guests,
        cls: b.blacklistedNow ? 'bar listed' : 'bar',
        title: `${buildLabel(b)}: ${b.guests} guests on ${b.hosts} hosts, ${b.handshakes} handshakes${b.blacklistedNow ? ', blacklisted now' : ''}`,
        data: {
          'data-product': b.product ?? '',
          'data-build': b.build ?? '',
          'data-guests': b.guests,
        },
        onClick: b.product === null || b.build === null ? undefined : () => loadGuests(b),
      })),
    );
    const guests = builds.reduce((sum, b) => sum + b.guests, 0);
    status(
      message,
      builds.length === 0
        ? 'No handshakes recorded yet.'
        : `${builds.length} builds; the ${top.length} on most guests (red: blacklisted now). ${guests} guest-builds in all.`,
    );
  } catch (error) {
    status(message, `Could not load the fleet builds: ${error.message}`, true);
  }
}

async function loadHits() {
  const view = section('hits');
  const message = view.querySelector('[data-status]');
  status(message, 'Loading…');
  try {
    const summary = await api('/api/v1/blacklist/hits/summary');
    const byDay = new Map();
    for (const row of summary.days) {
      const day = byDay.get(row.day) ?? { day: row.day, honoured: 0, ignored: 0 };
      day.honoured += row.honoured;
      day.ignored += row.ignored;
      byDay.set(row.day, day);
    }
    const days = [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
    dayChart(view.querySelector('[data-chart]'), days);
    const hits = days.reduce((sum, d) => sum + d.honoured + d.ignored, 0);
    const ignoring = summary.ignoringDrivers?.length ?? 0;
    status(
      message,
      days.length === 0
        ? 'No blacklist hits in the range.'
        : `${hits} hits over ${days.length} days (blue: honoured, red: ignored by the driver). ` +
            `${ignoring} driver build(s) ignore the blacklist.`,
    );
  } catch (error) {
    status(message, `Could not load the blacklist hits: ${error.message}`, true);
  }
}

async function loadGuests(build) {
  const view = section('guests');
  const message = view.querySelector('[data-status]');
  status(message, `Loading the guests on ${buildLabel(build)}…`);
  try {
    const page = await api('/api/v1/fleet/guests', {
      product: build.product,
      build: build.build,
      limit: 20,
    });
    fillTable(
      view.querySelector('[data-table]'),
      [
        ['VM', (g) => g.vm],
        ['host', (g) => g.host],
        ['boot', (g) => g.boot],
        ['last seen', (g) => time(g.lastSeen)],
        ['result', (g) => g.result],
      ],
      page.items,
      (g) => showGuest(g.vm),
    );
    status(
      message,
      `${page.guests} guests on ${page.hosts} hosts run ${buildLabel(build)} now` +
        (page.items.length < page.guests ? `; the first ${page.items.length}:` : ':'),
    );
  } catch (error) {
    status(message, `Could not load the guests: ${error.message}`, true);
  }
}

async function showGuest(vm) {
  const view = section('timeline');
  view.querySelector('input[name=vm]').value = vm;
  const message = view.querySelector('[data-status]');
  view.querySelector('[data-timeline]').replaceChildren();
  status(view.querySelector('[data-replay-status]'), '');
  status(message, `Loading the handshakes of ${vm}…`);
  try {
    const handshakes = await all(`/api/v1/guests/${encodeURIComponent(vm)}/handshakes`, {}, 1000);
    fillTable(
      view.querySelector('[data-handshakes]'),
      [
        ['boot', (h) => h.boot],
        ['started', (h) => time(h.startTime)],
        [
          'driver',
          (h) => (h.product ? `${h.product.name ?? h.product.number} ${h.build ?? ''}` : ''),
        ],
        ['result', (h) => h.result],
        ['revision', (h) => h.blacklistRevision ?? ''],
        ['unplug applied', (h) => (h.unplugApplied ? 'yes' : 'no')],
        ['violations', (h) => h.violations.join(', ')],
      ],
      handshakes,
      (h) => replay(vm, h.boot),
    );
    status(
      message,
      handshakes.length === 0
        ? `No handshakes recorded for ${vm}.`
        : `${handshakes.length} handshakes. Click one to replay its boot.`,
    );
    const url = new URL(window.location.href);
    url.searchParams.set('vm', vm);
    window.history.replaceState(null, '', url);
  } catch (error) {
    status(message, `Could not load the handshakes: ${error.message}`, true);
  }
}

async function replay(vm, boot) {
  const view = section('timeline');
  const message = view.querySelector('[data-replay-status]');
  status(message, `Replaying boot ${boot}…`);
  try {
    const result = await api(`/api/v1/guests/${encodeURIComponent(vm)}/replay`, { boot });
    fillTable(
      view.querySelector('[data-timeline]'),
      [
        ['#', (a) => a.index],
        ['time', (a) => time(a.time)],
        ['op', (a) => a.op],
        ['port', (a) => hex(a.port, 2)],
        ['size', (a) => a.size],
        ['value', (a) => hex(a.value ?? a.response, a.size * 2)],
        ['meaning', (a) => a.meaning, 'meaning'],
        ['state', (a) => a.phase],
      ],
      result.timeline,
    );
    const verdict = result.matches
      ? `every replayed outcome matches the recorded one (${result.replayed})`
      : `${result.differences} difference(s) between the recorded and replayed outcomes`;
    status(
      message,
      `Boot ${boot} under the ${result.profile} profile: ${result.accesses} port accesses; ${verdict}.` +
        (result.timelineTruncated ? ' Timeline truncated.' : ''),
      !result.matches,
    );
  } catch (error) {
    status(message, `Could not replay boot ${boot}: ${error.message}`, true);
  }
}

section('timeline')
  .querySelector('[data-form]')
  .addEventListener('submit', (event) => {
    event.preventDefault();
    const vm = new FormData(event.target).get('vm');
    if (typeof vm === 'string' && vm.trim()) void showGuest(vm.trim());
  });

void loadBuilds();
void loadHits();
const wanted = new URLSearchParams(window.location.search).get('vm');
if (wanted) void showGuest(wanted);
