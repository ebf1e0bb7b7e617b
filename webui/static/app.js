// WiCAN Bridge web page: lists the adapters, shows their values live and sends the
// admin actions.
//
// Rules that keep the page working and safe:
// - Every request path is relative (api/devices, never /api/devices), because Home
//   Assistant ingress serves the page below a prefix such as /api/hassio_ingress/TOKEN/.
// - Data from the bridge enters the page only through textContent, value and dataset,
//   never as HTML.
// - Cards are built once per adapter and then only updated, so the page does not flicker
//   and open forms keep what the user typed.
'use strict';

const POLL_DEVICES_MS = 2000;
const POLL_STATUS_MS = 10000;
const MESSAGE_MS = 8000;

const STATES = {
  managed: { label: 'Managed', tone: 'ok' },
  user_settings: { label: 'User settings', tone: 'info' },
  waiting_approval: { label: 'Waiting for approval', tone: 'warn' },
  not_posting: { label: 'Not posting', tone: 'bad' },
  unreachable: { label: 'Unreachable', tone: 'bad' },
  manual: { label: 'Manual webhook', tone: 'neutral' },
};

// States in which the bridge pushes the posting interval to the adapter. In user-settings
// mode the adapter keeps the user's own interval, and for a manual webhook the bridge
// does not know the adapter's API.
const INTERVAL_STATES = new Set(['managed', 'waiting_approval', 'not_posting', 'unreachable']);

// ---- DOM helpers ----

// h creates an element. props: class, text, testid, data (dataset), on (listeners);
// any other key is set as an attribute.
function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'class') {
      node.className = value;
    } else if (key === 'text') {
      node.textContent = value;
    } else if (key === 'testid') {
      node.dataset.testid = value;
    } else if (key === 'data') {
      Object.assign(node.dataset, value);
    } else if (key === 'on') {
      for (const [event, handler] of Object.entries(value)) {
        node.addEventListener(event, handler);
      }
    } else if (value === true) {
      node.setAttribute(key, '');
    } else if (value !== false && value !== undefined && value !== null) {
      node.setAttribute(key, String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child);
    }
  }
  return node;
}

// setText changes a node's text only when it differs, which avoids needless layout work
// and keeps text selections in unchanged cells.
function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value) {
    node.textContent = value;
  }
}

function setHidden(node, hidden) {
  if (node.hidden !== hidden) {
    node.hidden = hidden;
  }
}

function setAttr(node, name, value) {
  if (value === null || value === undefined || value === '') {
    node.removeAttribute(name);
  } else if (node.getAttribute(name) !== value) {
    node.setAttribute(name, value);
  }
}

function byId(id) {
  return document.getElementById(id);
}

// ---- HTTP ----

// request sends an admin API request and returns the response. It throws an Error with
// the bridge's {"error": "..."} message for a 4xx or 5xx response.
async function request(method, path, body) {
  const init = {
    method,
    headers: { Accept: 'application/json' },
    credentials: 'same-origin',
    cache: 'no-store',
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new Error(`No response from the bridge (${err.message}).`);
  }
  if (!response.ok) {
    let message = `HTTP ${response.status} ${response.statusText}`.trim();
    try {
      const data = await response.json();
      if (data && typeof data.error === 'string' && data.error !== '') {
        message = sentence(data.error);
      }
    } catch (err) {
      // The body is not JSON: keep the status line.
    }
    throw new Error(message);
  }
  return response;
}

async function getJSON(path) {
  const response = await request('GET', path);
  return response.json();
}

function devicePath(id, action) {
  const base = `api/devices/${encodeURIComponent(id)}`;
  return action ? `${base}/${action}` : base;
}

// ---- formatting ----

// formatValue shows a parameter value. Binary sensors show on/off, also when the adapter
// sent them as the numbers 0 and 1.
function formatValue(value, component) {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'boolean' || (component === 'binary_sensor' && typeof value === 'number')) {
    return value ? 'on' : 'off';
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

function relativeTime(iso, now) {
  const time = Date.parse(iso);
  if (!iso || Number.isNaN(time)) {
    return 'never';
  }
  // A clock a little ahead of the browser's must not show a time in the future.
  const seconds = Math.max(0, Math.round((now - time) / 1000));
  if (seconds < 5) {
    return 'just now';
  }
  if (seconds < 60) {
    return `${seconds} s ago`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ago`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `${hours} h ago`;
  }
  return `${Math.floor(hours / 24)} d ago`;
}

// adapterURL returns the adapter's own web page. An IPv6 address gets brackets, and a
// host with a port is kept as it is.
function adapterURL(host) {
  const colons = (host.match(/:/g) || []).length;
  const authority = colons > 1 && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${authority}/`;
}

// sentence returns text with its first letter in upper case, for the bridge's messages,
// which start in lower case like Go errors.
function sentence(text) {
  const value = String(text || '');
  return value.charAt(0).toUpperCase() + value.slice(1);
}

function compareNames(a, b) {
  return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
}

// ---- clipboard ----

// copyText copies text and reports on the button. The Clipboard API needs a secure
// context (https or localhost), which a Home Assistant reached over plain http is not, so
// the fallback copies from a hidden text area.
async function copyText(text, button) {
  let copied = false;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch (err) {
      copied = false;
    }
  }
  if (!copied) {
    const area = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    try {
      copied = document.execCommand('copy');
    } catch (err) {
      copied = false;
    }
    area.remove();
  }
  flashButton(button, copied ? 'Copied' : 'Copy failed: select the text and copy it');
}

function flashButton(button, text) {
  if (!button.dataset.label) {
    button.dataset.label = button.textContent;
  }
  button.textContent = text;
  clearTimeout(Number(button.dataset.timer));
  button.dataset.timer = String(setTimeout(() => {
    button.textContent = button.dataset.label;
  }, 2000));
}

// ---- messages ----

function showMessage(node, text, isError) {
  clearTimeout(Number(node.dataset.timer));
  node.textContent = text;
  node.classList.toggle('error', Boolean(isError));
  if (!isError && text) {
    node.dataset.timer = String(setTimeout(() => {
      node.textContent = '';
    }, MESSAGE_MS));
  }
}

// runAction disables the button while the request runs and reports the outcome.
async function runAction(button, messageNode, action, successText) {
  button.disabled = true;
  try {
    await action();
    if (successText) {
      showMessage(messageNode, successText, false);
    }
    refreshDevices();
    return true;
  } catch (err) {
    showMessage(messageNode, err.message, true);
    return false;
  } finally {
    button.disabled = false;
  }
}

// ---- device cards ----

const cards = new Map();

function fact(list, label, testid) {
  const value = h('dd', { testid });
  list.append(h('dt', { text: label }), value);
  return value;
}

function buildCard(id) {
  const card = { id, device: null, rows: new Map() };

  card.name = h('h2', { class: 'card-name', testid: 'device-name' });
  card.state = h('span', { class: 'badge', testid: 'device-state' });
  card.online = h('span', { class: 'pill', testid: 'device-online' });
  card.reason = h('p', { class: 'reason', testid: 'device-reason' });

  const facts = h('dl', { class: 'facts' });
  card.model = fact(facts, 'Model', 'device-model');
  card.firmware = fact(facts, 'Firmware', 'device-firmware');
  card.address = fact(facts, 'Address', 'device-address');
  card.lastPost = fact(facts, 'Last post', 'device-last-post');
  card.interval = fact(facts, 'Interval', 'device-interval');
  card.posts = fact(facts, 'Posts received', 'device-posts');
  card.battery = fact(facts, '12 V battery', 'device-battery');
  card.webhookCounts = fact(facts, 'Adapter reports', 'device-webhook-counts');
  card.webhookError = fact(facts, 'Adapter last error', 'device-webhook-error');

  card.copyValue = h('input', { type: 'text', readonly: true, testid: 'copy-url-value',
    'aria-label': 'Webhook URL for this adapter' });
  card.copyButton = h('button', { type: 'button', text: 'Copy webhook URL', testid: 'copy-url',
    on: { click: () => copyText(card.copyValue.value, card.copyButton) } });
  card.copyRow = h('div', { class: 'copy-block', hidden: true },
    h('p', { class: 'muted', text: 'The adapter keeps its own settings. Type this URL ' +
      'into its WebHook URL field (Automate > WebHook) so that it posts to the bridge.' }),
    h('div', { class: 'copy-row' }, card.copyValue, card.copyButton));

  card.message = h('p', { class: 'message', role: 'status', testid: 'device-message' });
  buildActions(card);
  buildParams(card);

  card.root = h('article', { class: 'card', testid: 'device-card', data: { deviceId: id } },
    h('header', { class: 'card-head' },
      h('div', { class: 'title-row' }, card.name, card.state, card.online),
      card.reason),
    facts, card.copyRow, card.actions, card.renameForm, card.intervalForm, card.unpairPanel,
    card.dashboardPanel, card.message, card.params);
  return card;
}

function buildActions(card) {
  card.approveButton = h('button', { type: 'button', class: 'primary', text: 'Approve',
    testid: 'approve-button', hidden: true, on: { click: () => approve(card) } });
  card.renameButton = h('button', { type: 'button', text: 'Rename', testid: 'rename-button',
    on: { click: () => togglePanel(card, card.renameForm) } });
  card.intervalButton = h('button', { type: 'button', text: 'Set interval',
    testid: 'interval-button', on: { click: () => togglePanel(card, card.intervalForm) } });
  card.dashboardButton = h('button', { type: 'button', text: 'Dashboard YAML',
    testid: 'dashboard-button', on: { click: () => toggleDashboard(card) } });
  card.restoreButton = h('button', { type: 'button', text: 'Restore entities',
    testid: 'restore-button', title: 'Publish again the entities you deleted in Home Assistant',
    on: { click: () => restore(card) } });
  card.unpairButton = h('button', { type: 'button', class: 'danger', text: 'Unpair',
    testid: 'unpair-button', on: { click: () => togglePanel(card, card.unpairPanel) } });
  card.actions = h('div', { class: 'actions' }, card.approveButton, card.renameButton,
    card.intervalButton, card.dashboardButton, card.restoreButton, card.unpairButton);

  card.renameInput = h('input', { type: 'text', name: 'name', required: true, maxlength: 100,
    autocomplete: 'off', testid: 'rename-input', 'aria-label': 'New name' });
  card.renameForm = h('form', { class: 'panel', hidden: true, testid: 'rename-form',
    on: { submit: (event) => saveName(event, card) } },
  h('label', { text: 'Name in Home Assistant' }), h('div', { class: 'field-row' },
    card.renameInput, h('button', { type: 'submit', text: 'Save' }),
    h('button', { type: 'button', text: 'Cancel',
      on: { click: () => closePanel(card.renameForm) } })));

  card.intervalInput = h('input', { type: 'number', name: 'interval', required: true, min: 1,
    max: 3600, step: 1, inputmode: 'numeric', testid: 'interval-input',
    'aria-label': 'Interval in seconds' });
  card.intervalForm = h('form', { class: 'panel', hidden: true, testid: 'interval-form',
    on: { submit: (event) => saveInterval(event, card) } },
  h('label', { text: 'Posting interval in seconds (1 to 3600)' }), h('div', { class: 'field-row' },
    card.intervalInput, h('button', { type: 'submit', text: 'Save' }),
    h('button', { type: 'button', text: 'Cancel',
      on: { click: () => closePanel(card.intervalForm) } })));

  card.unpairText = h('p');
  card.unpairConfirm = h('button', { type: 'button', class: 'danger', text: 'Unpair',
    testid: 'unpair-confirm', on: { click: () => unpair(card) } });
  card.unpairPanel = h('div', { class: 'panel', hidden: true, testid: 'unpair-panel' },
    card.unpairText, h('div', { class: 'field-row' }, card.unpairConfirm,
      h('button', { type: 'button', text: 'Cancel',
        on: { click: () => closePanel(card.unpairPanel) } })));

  card.dashboardText = h('pre', { class: 'yaml', testid: 'dashboard-yaml' });
  card.dashboardCopy = h('button', { type: 'button', text: 'Copy YAML',
    testid: 'dashboard-copy',
    on: { click: () => copyText(card.dashboardText.textContent, card.dashboardCopy) } });
  card.dashboardPanel = h('div', { class: 'panel', hidden: true, testid: 'dashboard-panel' },
    h('p', { class: 'muted', text: 'In Home Assistant, add a dashboard under Settings > ' +
      'Dashboards, open it, choose Edit dashboard, then Raw configuration editor in the ' +
      'three-dot menu, and paste this YAML.' }),
    card.dashboardCopy, card.dashboardText);
}

function buildParams(card) {
  card.paramCount = h('span', { class: 'muted' });
  card.paramBody = h('tbody');
  card.paramEmpty = h('p', { class: 'muted', text: 'No values yet: they appear after the ' +
    'adapter\'s first post.' });
  card.paramTable = h('div', { class: 'table-wrap', hidden: true }, h('table', {},
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: 'Name' }),
      h('th', { scope: 'col', class: 'num', text: 'Value' }),
      h('th', { scope: 'col', text: 'Unit' }),
      h('th', { scope: 'col', class: 'col-entity', text: 'Entity' }))),
    card.paramBody));
  card.params = h('details', { class: 'params', open: true },
    h('summary', {}, 'Values ', card.paramCount), card.paramEmpty, card.paramTable);
}

function updateCard(card, device, now) {
  card.device = device;
  const state = STATES[device.state] || { label: device.state || 'Unknown', tone: 'neutral' };

  setText(card.name, device.name || device.id);
  setText(card.state, state.label);
  setAttr(card.state, 'class', `badge tone-${state.tone}`);
  setText(card.reason, sentence(device.reason));
  setHidden(card.reason, !device.reason);

  let online = device.online ? 'Online' : 'Offline';
  if (device.ecu) {
    online += ` · ECU ${device.ecu}`;
  }
  setText(card.online, online);
  setAttr(card.online, 'class', device.online ? 'pill tone-ok' : 'pill tone-neutral');

  setText(card.model, device.model || '—');
  setText(card.firmware, device.firmware || '—');
  updateAddress(card, device.host);
  setText(card.lastPost, relativeTime(device.last_post, now));
  setAttr(card.lastPost, 'title', device.last_post ? new Date(device.last_post).toLocaleString() : '');
  setText(card.interval, device.interval ? `${device.interval} s` : '—');
  setText(card.posts, `${device.accepted || 0} accepted, ${device.rejected || 0} rejected`);
  setText(card.battery, typeof device.battery_12v === 'number' ? `${device.battery_12v} V` : '—');
  updateWebhook(card, device.webhook);

  setHidden(card.copyRow, !device.copy_url);
  if (device.copy_url && card.copyValue.value !== device.copy_url) {
    card.copyValue.value = device.copy_url;
  }
  setHidden(card.approveButton, device.state !== 'waiting_approval');
  setHidden(card.intervalButton, !INTERVAL_STATES.has(device.state));
  if (!INTERVAL_STATES.has(device.state)) {
    setHidden(card.intervalForm, true);
  }
  updateParams(card, device.values || {});
}

function updateAddress(card, host) {
  if (!host) {
    if (card.addressLink) {
      card.addressLink.remove();
      card.addressLink = null;
    }
    setText(card.address, '—');
    return;
  }
  if (!card.addressLink) {
    card.address.textContent = '';
    card.addressLink = h('a', { target: '_blank', rel: 'noopener noreferrer',
      testid: 'device-address-link' });
    card.address.append(card.addressLink);
  }
  setText(card.addressLink, host);
  setAttr(card.addressLink, 'href', adapterURL(host));
}

function updateWebhook(card, webhook) {
  if (!webhook) {
    setText(card.webhookCounts, '—');
    setText(card.webhookError, '—');
    return;
  }
  let counts = `OK ${webhook.ok ?? 0}, Fail ${webhook.fail ?? 0}`;
  if (webhook.status) {
    counts += ` (${webhook.status})`;
  }
  setText(card.webhookCounts, counts);
  setText(card.webhookError, webhook.last_error || 'none');
  card.webhookError.classList.toggle('error', Boolean(webhook.last_error));
}

// updateParams keeps one table row per parameter, in name order, and changes only the
// cells whose text changed.
function updateParams(card, values) {
  const names = Object.keys(values).sort(compareNames);
  setText(card.paramCount, `(${names.length})`);
  setHidden(card.paramEmpty, names.length > 0);
  setHidden(card.paramTable, names.length === 0);

  const wanted = new Set(names);
  for (const [name, row] of card.rows) {
    if (!wanted.has(name)) {
      row.tr.remove();
      card.rows.delete(name);
    }
  }
  names.forEach((name, index) => {
    let row = card.rows.get(name);
    if (!row) {
      row = buildParamRow(name);
      card.rows.set(name, row);
    }
    const value = values[name] || {};
    setText(row.value, formatValue(value.value, value.component));
    setText(row.unit, value.unit || '');
    setText(row.entity, value.entity_id || '');
    const at = card.paramBody.children[index];
    if (at !== row.tr) {
      card.paramBody.insertBefore(row.tr, at || null);
    }
  });
}

function buildParamRow(name) {
  const row = {
    value: h('td', { class: 'num', testid: 'param-value' }),
    unit: h('td', { testid: 'param-unit' }),
    entity: h('td', { class: 'col-entity', testid: 'param-entity' }),
  };
  row.tr = h('tr', { testid: 'param-row', data: { param: name } },
    h('th', { scope: 'row', text: name, testid: 'param-name' }), row.value, row.unit, row.entity);
  return row;
}

// ---- card actions ----

function togglePanel(card, panel) {
  const opening = panel.hidden;
  for (const other of [card.renameForm, card.intervalForm, card.unpairPanel]) {
    if (other !== panel) {
      other.hidden = true;
    }
  }
  panel.hidden = !opening;
  if (!opening) {
    return;
  }
  const device = card.device || {};
  if (panel === card.renameForm) {
    card.renameInput.value = device.name || '';
    card.renameInput.focus();
  } else if (panel === card.intervalForm) {
    card.intervalInput.value = device.interval || 15;
    card.intervalInput.focus();
  } else if (panel === card.unpairPanel) {
    card.unpairText.textContent = `Unpair ${device.name || card.id}? The bridge clears the ` +
      'webhook it set on the adapter and removes the adapter\'s entities from Home Assistant.';
  }
}

function closePanel(panel) {
  panel.hidden = true;
}

function approve(card) {
  return runAction(card.approveButton, card.message,
    () => request('POST', devicePath(card.id, 'approve')), 'Approved: the bridge is pairing it.');
}

async function saveName(event, card) {
  event.preventDefault();
  const name = card.renameInput.value.trim();
  if (!name) {
    showMessage(card.message, 'Enter a name.', true);
    return;
  }
  const button = card.renameForm.querySelector('button[type="submit"]');
  const done = await runAction(button, card.message,
    () => request('PATCH', devicePath(card.id), { name }), `Renamed to ${name}.`);
  if (done) {
    closePanel(card.renameForm);
  }
}

async function saveInterval(event, card) {
  event.preventDefault();
  const interval = Number(card.intervalInput.value);
  if (!Number.isInteger(interval) || interval < 1 || interval > 3600) {
    showMessage(card.message, 'The interval must be a whole number of seconds from 1 to 3600.',
      true);
    return;
  }
  const button = card.intervalForm.querySelector('button[type="submit"]');
  const done = await runAction(button, card.message,
    () => request('PATCH', devicePath(card.id), { interval }),
    `Interval set to ${interval} s.`);
  if (done) {
    closePanel(card.intervalForm);
  }
}

// restore asks the bridge to publish again the entities that the user deleted in Home
// Assistant, which it otherwise leaves deleted.
function restore(card) {
  return runAction(card.restoreButton, card.message, async () => {
    const response = await request('POST', devicePath(card.id, 'restore'));
    const result = await response.json();
    const count = Number(result && result.restored) || 0;
    showMessage(card.message, count === 0 ? 'No deleted entities to restore.'
      : `Restored ${count} deleted ${count === 1 ? 'entity' : 'entities'}.`, false);
  }, '');
}

async function unpair(card) {
  const done = await runAction(card.unpairConfirm, card.message,
    () => request('DELETE', devicePath(card.id)), 'Unpaired.');
  if (done) {
    closePanel(card.unpairPanel);
  }
}

async function toggleDashboard(card) {
  if (!card.dashboardPanel.hidden) {
    card.dashboardPanel.hidden = true;
    return;
  }
  card.dashboardButton.disabled = true;
  try {
    const response = await request('GET', devicePath(card.id, 'dashboard'));
    card.dashboardText.textContent = await response.text();
    card.dashboardPanel.hidden = false;
  } catch (err) {
    showMessage(card.message, `Dashboard not available: ${err.message}`, true);
  } finally {
    card.dashboardButton.disabled = false;
  }
}

// ---- polling ----

let devicesTimer = 0;
let devicesBusy = false;
let devicesAgain = false;

function renderDevices(list, now) {
  const container = byId('devices');
  const seen = new Set();
  let index = 0;
  for (const device of list) {
    if (!device || typeof device.id !== 'string' || seen.has(device.id)) {
      continue;
    }
    seen.add(device.id);
    let card = cards.get(device.id);
    if (!card) {
      card = buildCard(device.id);
      cards.set(device.id, card);
    }
    updateCard(card, device, now);
    const at = container.children[index];
    if (at !== card.root) {
      container.insertBefore(card.root, at || null);
    }
    index += 1;
  }
  for (const [id, card] of cards) {
    if (!seen.has(id)) {
      card.root.remove();
      cards.delete(id);
    }
  }
  setHidden(byId('no-devices'), cards.size > 0);
}

function setConnectionError(message) {
  setHidden(byId('connection-warning'), !message);
  setText(byId('connection-error'), message || '');
}

// refreshDevices fetches the device list now. A call while a fetch runs makes that fetch
// run once more, so an action's result shows without waiting for the next poll.
async function refreshDevices() {
  if (devicesBusy) {
    devicesAgain = true;
    return;
  }
  devicesBusy = true;
  clearTimeout(devicesTimer);
  try {
    if (!document.hidden) {
      const list = await getJSON('api/devices');
      renderDevices(Array.isArray(list) ? list : [], Date.now());
      setConnectionError('');
    }
  } catch (err) {
    setConnectionError(err.message);
  } finally {
    devicesBusy = false;
    if (devicesAgain) {
      devicesAgain = false;
      refreshDevices();
    } else {
      devicesTimer = setTimeout(refreshDevices, POLL_DEVICES_MS);
    }
  }
}

async function refreshStatus() {
  try {
    renderStatus(await getJSON('api/status'));
  } catch (err) {
    setConnectionError(err.message);
  } finally {
    setTimeout(refreshStatus, POLL_STATUS_MS);
  }
}

function renderStatus(status) {
  setText(byId('version'), status.version ? `version ${status.version}` : '');

  const mqtt = byId('mqtt-state');
  setHidden(mqtt, typeof status.mqtt_connected !== 'boolean');
  setText(mqtt, status.mqtt_connected ? 'MQTT connected' : 'MQTT disconnected');
  setAttr(mqtt, 'class', status.mqtt_connected ? 'pill tone-ok' : 'pill tone-bad');

  setHidden(byId('public-url-line'), !status.public_url);
  setText(byId('public-url'), status.public_url || '');

  const problem = status.public_url_ok === false;
  setHidden(byId('public-url-warning'), !problem);
  setText(byId('public-url-problem'),
    problem ? sentence(status.public_url_problem || 'adapters may not reach the public URL.') : '');
  setText(byId('public-url-fix'), problem ? sentence(status.public_url_fix) : '');
}

// ---- forms ----

function setupAddHost() {
  const form = byId('add-host-form');
  const input = byId('add-host-input');
  const message = form.querySelector('.message');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const host = input.value.trim();
    if (!host) {
      showMessage(message, 'Enter the adapter\'s IP address or host name.', true);
      return;
    }
    const done = await runAction(form.querySelector('button[type="submit"]'), message,
      () => request('POST', 'api/devices', { host }),
      `Adding ${host}: its card appears once the bridge has read the adapter.`);
    if (done) {
      input.value = '';
    }
  });
}

function setupCreateWebhook() {
  const form = byId('create-webhook-form');
  const input = byId('webhook-name-input');
  const message = form.querySelector('.message');
  const result = byId('webhook-result');
  const url = byId('webhook-url');
  const copy = byId('webhook-copy');
  copy.addEventListener('click', () => copyText(url.value, copy));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    await runAction(form.querySelector('button[type="submit"]'), message, async () => {
      const response = await request('POST', 'api/webhooks', name ? { name } : {});
      const hook = await response.json();
      url.value = hook.url || '';
      result.hidden = !hook.url;
      input.value = '';
    }, 'Webhook created. Type its URL into the adapter\'s WebHook URL field.');
  });
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) {
    refreshDevices();
  }
});

document.addEventListener('DOMContentLoaded', () => {
  setupAddHost();
  setupCreateWebhook();
  refreshStatus();
  refreshDevices();
});
