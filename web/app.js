// SPDX-License-Identifier: MIT
// app.js — keeps the board page live. The state comes from the device's REST API through the
// server (/api/dev/...); changes arrive on one Server-Sent-Events stream (/api/stream: "board"
// events from /sim/events, "log" lines from /sim/log, "uart" bytes from the consoles). On every
// (re)connection and "resync" the page reads the whole state again, so a dropped stream loses
// nothing. Controls are real buttons and inputs; consoles and logs are aria-live regions.
'use strict';

const token = new URLSearchParams(location.search).get('token');
const state = { gpios: [], lines: new Map(), leds: [], apps: new Map(), logs: new Map(), decoders: new Map(), eventCount: 0, pwm: new Map() };
window.sphereWeb = state; // for the browser tests: what the page applied and when

const $ = (sel) => document.querySelector(sel);
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

async function api(path, method = 'GET', body) {
  const headers = {};
  if (token) headers['X-Sphere-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = typeof body === 'string' && method === 'POST' && path.startsWith('/api/uart/')
    ? 'application/octet-stream' : 'application/json';
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(j.detail || `${method} ${path}: ${r.status}`), { status: r.status });
  return j;
}
const dev = (path, method, body) => api(`/api/dev${path}`, method, body);

// One run of a refresher at a time: a call while it runs makes it run once more afterwards (two
// overlapping runs could each build the same rows).
function single(fn) {
  let running = null, again = false;
  const run = async () => {
    if (running) { again = true; return running; }
    running = (async () => {
      try { do { again = false; await fn(); } while (again); } finally { running = null; }
    })();
    return running;
  };
  return run;
}

function setConnection(s, text) {
  document.body.dataset.connection = s; // what is shown is the last known state unless live
  const c = $('#connection');
  c.dataset.state = s;
  c.textContent = text;
}

// ---- board: LEDs, buttons, GPIO table --------------------------------------------------------

function ledOn(gpio) { // the MT3620 boards' LEDs are active-low: lit when an app drives the line low
  const l = state.lines.get(gpio);
  return !!l && l.direction === 'output' && l.value === 0;
}

// How bright an LED channel is, 0 to 1: from its PWM channel when one drives it (MT3620:
// PWM-CONTROLLER-c channel k is GPIO 4c+k), else on or off from the GPIO line.
function ledLevel(gpio) {
  return state.pwm.has(gpio) ? state.pwm.get(gpio) : ledOn(gpio) ? 1 : 0;
}

function paintLed(led) {
  const c = led.channels;
  const level = (k) => (c[k] !== undefined ? ledLevel(c[k]) : 0);
  const [r, g, b] = c.mono !== undefined ? led.rgb.map((v) => Math.round(v * level('mono')))
    : [Math.round(255 * level('red')), Math.round(220 * level('green')), Math.round(255 * level('blue'))];
  const on = r || g || b;
  led.lamp.style.background = on ? `rgb(${r},${g},${b})` : '#222';
  led.lamp.style.boxShadow = on ? `0 0 14px rgb(${r},${g},${b})` : 'none';
  const describe = (k) => (level(k) < 1 ? `${k} ${Math.round(level(k) * 100)} %` : k);
  const colours = ['red', 'green', 'blue'].filter((k) => level(k) > 0).map(describe);
  const text = on ? (c.mono !== undefined ? (level('mono') < 1 ? `on ${Math.round(level('mono') * 100)} %` : 'on') : `on: ${colours.join(' + ')}`) : 'off';
  if (led.node.dataset.on !== (on ? '1' : '0')) led.node.dataset.on = on ? '1' : '0';
  led.lamp.setAttribute('aria-label', `${led.label} ${text}`);
  led.status.textContent = text;
}

function applyLine(line, seq, time) {
  state.lines.set(line.gpio, line);
  const row = document.getElementById(`gpio-${line.gpio}`);
  if (row) {
    row.cells[2].textContent = line.direction;
    row.cells[3].textContent = line.direction === 'unused' ? '—' : String(line.value);
  }
  for (const led of state.leds) {
    if (!Object.values(led.channels).includes(line.gpio)) continue;
    paintLed(led);
    if (seq !== undefined) Object.assign(led.node.dataset, { seq: String(seq), eventTime: time, receivedAt: String(Date.now()) });
  }
}

function buildBoard(gpios) {
  state.gpios = gpios;
  const ledBox = $('#leds');
  ledBox.replaceChildren();
  state.leds = SphereBoard.leds(gpios).map((led) => {
    const lamp = el('div', { class: 'lamp', role: 'img', 'aria-label': `${led.label} off` });
    const status = el('span', { class: 'muted', text: 'off' });
    const id = `led-${led.label.replace(/\W+/g, '-').toLowerCase()}`;
    const node = el('div', { class: 'led', id, 'data-on': '0' }, lamp, el('span', { text: led.label }), status);
    ledBox.append(node);
    return { ...led, lamp, status, node };
  });
  const buttonBox = $('#buttons');
  buttonBox.replaceChildren();
  for (const b of SphereBoard.buttons(gpios)) buttonBox.append(makeButton(b));
  const tbody = $('#gpios tbody');
  tbody.replaceChildren();
  for (const g of gpios) {
    const tr = el('tr', { id: `gpio-${g.gpio}` }, el('td', { text: g.name }), el('td', { text: String(g.gpio) }),
      el('td', { text: '?' }), el('td', { text: '?' }));
    tbody.append(tr);
  }
}

// A button held while the pointer or the key is down (at least 150 ms, so that an app polling
// its button sees a quick click too): the line is driven low, then released high.
function makeButton(b) {
  const node = el('button', { type: 'button', id: `button-${b.gpio}`, 'aria-pressed': 'false',
    'aria-label': `${b.label} (GPIO ${b.gpio}): hold to press`, text: b.label });
  let pressedAt = 0, down = false;
  const press = async () => {
    if (down) return;
    down = true; pressedAt = performance.now();
    node.setAttribute('aria-pressed', 'true');
    await dev(`/sim/gpio/${b.gpio}`, 'PUT', { value: 0 }).catch(report);
  };
  const release = async () => {
    if (!down) return;
    down = false;
    const wait = 150 - (performance.now() - pressedAt);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    node.setAttribute('aria-pressed', 'false');
    await dev(`/sim/gpio/${b.gpio}`, 'PUT', { value: 1 }).catch(report);
  };
  node.addEventListener('pointerdown', (e) => { node.setPointerCapture?.(e.pointerId); press(); });
  node.addEventListener('pointerup', release);
  node.addEventListener('pointercancel', release);
  node.addEventListener('keydown', (e) => { if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) { e.preventDefault(); press(); } });
  node.addEventListener('keyup', (e) => { if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); release(); } });
  node.addEventListener('blur', release);
  return node;
}

// A snapshot started before a line's latest event must not undo that event: such a line keeps the
// event's level (its direction still comes from the snapshot).
const refreshGpios = single(async function refreshGpios() {
  if (!state.gpios.length) return;
  const started = state.eventCount;
  const lines = await api(`/api/gpio?lines=${state.gpios.map((g) => g.gpio).join(',')}`);
  for (const l of lines) {
    const prev = state.lines.get(l.gpio);
    if (prev && prev.eventCount > started) Object.assign(l, { value: prev.value, eventCount: prev.eventCount });
    applyLine(l);
  }
});

// ---- UART consoles -----------------------------------------------------------------------------

function buildUarts(board, info) {
  const box = $('#uarts');
  box.replaceChildren();
  for (const u of board.uarts || []) {
    const name = u.interface;
    const held = info.mcu.attached && info.mcu.interface === name;
    const out = el('pre', { class: 'console', id: `console-${name}`, role: 'log', 'aria-live': 'polite', 'aria-label': `${name} console output` });
    const input = el('input', { type: 'text', id: `console-input-${name}`, 'aria-label': `Type a line into ${name}`, autocomplete: 'off' });
    const form = el('form', { class: 'slider', onsubmit: async (e) => {
      e.preventDefault();
      const text = `${input.value}\n`;
      input.value = '';
      await api(`/api/uart/${name}`, 'POST', text).catch(report);
    } }, input, el('button', { type: 'submit', text: 'Send' }));
    const status = el('p', { class: 'muted', id: `uart-status-${name}`, text: uartText(u) });
    box.append(el('h3', { text: name }), status, held ? el('p', { text: 'The external MCU holds this UART (see External MCU).' }) : out, held ? '' : form);
  }
}

function uartText(u) {
  return u.open ? `open by an app: ${u.baudRate} baud ${u.frame}, flow control ${u.flowControl}; ${u.txBytes} bytes sent, ${u.rxBytes} received`
    : 'not open by an app';
}

function appendConsole(name, base64) {
  const out = document.getElementById(`console-${name}`);
  if (!out) return;
  if (!state.decoders.has(name)) state.decoders.set(name, new TextDecoder());
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  out.textContent = (out.textContent + state.decoders.get(name).decode(bytes, { stream: true })).slice(-20000);
  out.scrollTop = out.scrollHeight;
}

// ---- ADC, accelerometer, PWM, MCU ----------------------------------------------------------------

const refreshAdc = single(async function refreshAdc() {
  const box = $('#adcs');
  let adc;
  try {
    adc = await dev('/sim/adc/0');
  } catch (e) { // the device's 404 says there is none; anything else (the server is away) changes nothing
    if (e.status !== 404) throw e;
    box.textContent = 'This board has no ADC.';
    delete box.dataset.built;
    return;
  }
  if (!box.dataset.built) {
    box.dataset.built = '1';
    box.replaceChildren(el('p', { class: 'muted', id: 'adc-info' }));
    adc.volts.forEach((v, ch) => {
      const out = el('output', { id: `adc-out-${ch}`, for: `adc-${ch}` });
      const slider = el('input', { type: 'range', id: `adc-${ch}`, min: '0', max: String(adc.referenceVolts), step: '0.01',
        'aria-label': `ADC channel ${ch} input volts`, oninput: (e) => setAdc(ch, Number(e.target.value)) });
      box.append(el('label', { class: 'slider', for: `adc-${ch}` }, el('span', { text: `Channel ${ch}` }), slider, out));
    });
  }
  $('#adc-info').textContent = `${adc.controller}: ${adc.bits} bits, reference ${adc.referenceVolts} V${adc.open ? ', open by an app' : ''}`;
  adc.volts.forEach((v, ch) => {
    const s = document.getElementById(`adc-${ch}`);
    if (s && document.activeElement !== s) s.value = String(v);
    const o = document.getElementById(`adc-out-${ch}`);
    if (o) o.textContent = `${v.toFixed(2)} V`;
  });
});

let adcTimer = null;
function setAdc(ch, volts) { // at most one request per 50 ms while the slider moves; the last value always goes
  document.getElementById(`adc-out-${ch}`).textContent = `${volts.toFixed(2)} V`;
  clearTimeout(adcTimer);
  adcTimer = setTimeout(() => dev(`/sim/adc/0/${ch}`, 'PUT', { volts }).catch(report), 50);
}

const refreshAccel = single(async function refreshAccel() {
  const box = $('#accels');
  const a = await dev('/sim/accel');
  box.replaceChildren();
  for (const d of a.accelerometers) {
    const inputs = ['x', 'y', 'z'].map((k) => el('input', { type: 'number', step: '0.1', min: '-16', max: '16', value: String(d[k]),
      id: `accel-${d.name}-${k}`, 'aria-label': `${d.name} ${k} axis in g` }));
    const form = el('form', { class: 'slider', onsubmit: async (e) => {
      e.preventDefault();
      const [x, y, z] = inputs.map((i) => Number(i.value));
      await dev('/sim/accel', 'PUT', { x, y, z, device: d.name }).catch(report);
    } }, el('span', { text: `${d.name} (${d.state}) g:` }), ...inputs, el('button', { type: 'submit', text: 'Set' }));
    box.append(form);
  }
  if (!a.accelerometers.length) box.textContent = 'This board has no accelerometer.';
});

const refreshPwm = single(async function refreshPwm() {
  const box = $('#pwms');
  const p = await dev('/sim/pwm');
  const rows = [];
  state.pwm.clear();
  for (const c of p.controllers)
    for (const ch of c.channels) {
      const n = Number(c.controller.replace('PWM-CONTROLLER-', ''));
      const dutyOf = ch.periodNs ? ch.dutyCycleNs / ch.periodNs : 0;
      // an active-low LED is lit while the output is low: the duty cycle with inversed polarity
      if (ch.enabled) state.pwm.set(4 * n + ch.channel, ch.polarity === 'inversed' ? dutyOf : 1 - dutyOf);
      const duty = ch.periodNs ? ch.dutyCycleNs / ch.periodNs : 0;
      const level = ch.enabled ? (ch.polarity === 'inversed' ? 1 - duty : duty) : 0;
      const swatch = el('span', { class: 'swatch', role: 'img', 'aria-label': `output high ${Math.round(level * 100)} % of the time` });
      swatch.style.background = `rgba(255, 200, 40, ${level})`;
      rows.push(el('tr', {}, el('td', { text: `${c.controller}.${ch.channel}` }), el('td', { text: String(ch.periodNs) }),
        el('td', { text: String(ch.dutyCycleNs) }), el('td', { text: `${Math.round(duty * 100)} %` }),
        el('td', { text: ch.polarity }), el('td', { text: ch.enabled ? 'yes' : 'no' }), el('td', {}, swatch)));
    }
  for (const led of state.leds) paintLed(led);
  if (!rows.length) { box.textContent = 'This board has no PWM controller.'; return; }
  const head = el('tr', {}, ...['Channel', 'Period (ns)', 'Duty (ns)', 'Duty', 'Polarity', 'Enabled', 'Output'].map((t) => el('th', { scope: 'col', text: t })));
  box.replaceChildren(el('table', { id: 'pwm-table' }, el('thead', {}, head), el('tbody', {}, ...rows)));
});

async function refreshMcu(info) {
  $('#mcu-section').hidden = !info.mcu.attached;
  if (!info.mcu.attached) return;
  const m = await api('/api/mcu').catch((e) => ({ error: e.message }));
  const dl = el('dl');
  const add = (k, v) => dl.append(el('dt', { text: k }), el('dd', { text: typeof v === 'object' ? JSON.stringify(v) : String(v) }));
  const slots = Array.isArray(m.images) ? m.images : Array.isArray(m.slots) ? m.slots : [];
  for (const [k, v] of Object.entries(m)) if (k !== 'images' && k !== 'slots') add(k, v);
  const table = el('table', {}, el('tbody', {}, ...slots.map((s) => el('tr', {}, ...Object.entries(s).map(([k, v]) => el('td', { text: `${k}: ${v}` }))))));
  $('#mcu').replaceChildren(el('p', { text: `on ${info.mcu.interface}` }), dl, table);
}

// The cloud's view, when the device is cloud-managed (the server asks the CLI's own cloud
// commands with its login): product, group, tags, check-in, and the OTA status the device's
// agent reports in its twin (reported.extFwInfo; docs/ota.md).
const refreshCloud = single(async function refreshCloud() {
  const c = await api('/api/cloud');
  const box = $('#cloud');
  if (!c.managed) {
    box.replaceChildren(el('p', { class: 'muted', id: 'cloud-state', text: 'Not cloud-managed (or no cloud login: sphere login).' }));
    return;
  }
  const d = Array.isArray(c.device) ? c.device[0] || {} : c.device || {};
  const dl = el('dl', { id: 'cloud-state' });
  const add = (k, v) => { if (v !== undefined && v !== null && v !== '') dl.append(el('dt', { text: k }), el('dd', { text: typeof v === 'object' ? JSON.stringify(v) : String(v) })); };
  add('Device ID', d.deviceId ? `${d.deviceId.slice(0, 16)}…` : undefined);
  add('Product', d.product); add('Device group', d.deviceGroup);
  add('Tags', Array.isArray(d.tags) ? d.tags.join(', ') || 'none' : d.tags); add('Last check-in', d.lastCheckIn);
  const twin = c.twin || {};
  const want = twin.desired && twin.desired.extFwInfo, got = twin.reported && (twin.reported.extFwInfo || twin.reported);
  add('OTA wanted', want && want.version !== undefined ? `version ${want.version} (${want.size} bytes)` : 'nothing deployed');
  if (got && got.status) {
    const progress = got.size ? ` ${Math.round((100 * (got.bytesDone || 0)) / got.size)} %` : '';
    add('OTA status', `${got.status}${got.targetVersion !== undefined ? ` → ${got.targetVersion}` : ''}${progress}${got.error ? `: ${got.error}` : ''}`);
    add('Applied version', got.appliedVersion);
  }
  box.replaceChildren(dl);
});

// ---- applications --------------------------------------------------------------------------------

const refreshApps = single(async function refreshApps() {
  const images = await dev('/images');
  const box = $('#apps');
  const seen = new Set();
  for (const c of images.components || []) {
    if (c.image_type !== 10) continue; // applications
    seen.add(c.uid);
    const st = await dev(`/app/status/${c.uid}`).catch(() => ({ state: 'unknown' }));
    let app = state.apps.get(c.uid);
    if (!app) {
      app = buildApp(c);
      state.apps.set(c.uid, app);
      box.append(app.node);
    }
    app.title.textContent = c.name; // a replacement under the same component ID may be named anew
    app.fields.state.textContent = st.state;
    app.fields.core.textContent = st.realTimeCore !== undefined ? `real-time core ${st.realTimeCore}` : 'high-level core';
    app.fields.exit.textContent = st.lastExitCode !== undefined ? `exit code ${st.lastExitCode}`
      : st.lastExitSignal !== undefined ? `signal ${st.lastExitSignal}` : '—';
    app.fields.restarts.textContent = String(st.restarts ?? 0);
    app.node.dataset.state = st.state;
    app.start.disabled = st.state === 'running';
    app.stop.disabled = st.state !== 'running';
  }
  for (const [uid, app] of state.apps) if (!seen.has(uid)) { app.node.remove(); state.apps.delete(uid); }
  if (!state.apps.size) box.textContent = 'No application is installed.';
  else [...box.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).forEach((n) => n.remove());
});

function buildApp(c) {
  const fields = {};
  const dl = el('dl');
  for (const [key, label] of [['cid', 'Component ID'], ['state', 'State'], ['core', 'Core'], ['exit', 'Last exit'], ['restarts', 'Restarts']]) {
    fields[key] = el('dd', { text: key === 'cid' ? c.uid : '' });
    dl.append(el('dt', { text: label }), fields[key]);
  }
  const short = c.uid.slice(0, 8);
  const trigger = (t) => async () => { await dev(`/app/status/${c.uid}`, 'PATCH', { trigger: t }).catch(report); refreshApps().catch(report); };
  const start = el('button', { type: 'button', id: `start-${short}`, 'aria-label': `Start ${c.name}`, text: 'Start', onclick: trigger('start') });
  const stop = el('button', { type: 'button', id: `stop-${short}`, 'aria-label': `Stop ${c.name}`, text: 'Stop', onclick: trigger('stop') });
  const log = el('pre', { class: 'log', id: `log-${short}`, role: 'log', 'aria-live': 'polite', 'aria-label': `${c.name} log` });
  for (const line of state.logs.get(c.uid) || []) log.textContent += `${line}\n`;
  const title = el('h3', { text: c.name });
  const node = el('article', { class: 'app', id: `app-${short}` }, title, dl, start, ' ', stop, log);
  return { node, title, fields, start, stop, log };
}

function addLog(line) {
  const cid = line.componentId;
  const text = `${line.time.slice(11, 23)} ${line.text}`;
  const list = state.logs.get(cid) || [];
  list.push(text);
  if (list.length > 200) list.shift();
  state.logs.set(cid, list);
  const app = state.apps.get(cid);
  if (app) {
    app.log.textContent = list.slice(-200).join('\n') + '\n';
    app.log.scrollTop = app.log.scrollHeight;
  }
}

async function loadLogTail() {
  state.logs.clear();
  const log = await dev('/sim/log?since=0');
  for (const line of log.lines || []) addLog(line);
}

// ---- live channel ----------------------------------------------------------------------------------

let info = null;
async function refreshAll() {
  info = await api('/api/info');
  $('#device-name').textContent = info.device;
  const board = await dev('/sim/board');
  $('#board-name').textContent = `(${board.name})`;
  if (!state.gpios.length) {
    const peripherals = await SphereBoard.loadDefinition(board.hardwareDefinition, api).catch(() => []);
    buildBoard(SphereBoard.resolveGpios(peripherals));
  }
  if (!$('#uarts').childElementCount) buildUarts(board, info);
  else refreshUarts().catch(report);
  refreshCloud().catch(report);
  await Promise.all([refreshGpios(), loadLogTail().then(refreshApps), refreshAdc(), refreshAccel(), refreshPwm(), refreshMcu(info)]);
  state.refreshedAt = Date.now();
}

function onBoardEvent(e) {
  if (e.kind === 'gpio') {
    const n = Number(e.source.replace('GPIO', ''));
    state.eventCount += 1;
    const line = { ...(state.lines.get(n) || { gpio: n, direction: 'output' }), value: Number(e.detail), eventCount: state.eventCount };
    applyLine(line, e.seq, e.time);
  } else if (e.kind === 'pwm') {
    refreshPwm().catch(report);
  } else if (e.kind === 'adc' && !e.detail.includes('->')) {
    refreshAdc().catch(report);
  } else if (e.kind === 'accel') {
    refreshAccel().catch(report);
  } else if (e.kind === 'uart' && !/^(tx|rx) /.test(e.detail)) {
    refreshAll().catch(report);
  }
}

let stream = null;
function connect() {
  stream = new EventSource(`/api/stream${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  stream.addEventListener('hello', () => {
    setConnection('live', 'Live');
    state.connections = (state.connections || 0) + 1;
    refreshAll().catch(report);
  });
  stream.addEventListener('resync', () => refreshAll().catch(report));
  stream.addEventListener('device', (m) => {
    const d = JSON.parse(m.data);
    setConnection(d.reachable ? 'live' : 'unreachable', d.reachable ? 'Live' : 'The device is not running');
  });
  stream.addEventListener('board', (m) => onBoardEvent(JSON.parse(m.data)));
  stream.addEventListener('log', (m) => addLog(JSON.parse(m.data)));
  stream.addEventListener('uart', (m) => { const u = JSON.parse(m.data); appendConsole(u.interface, u.base64); });
  stream.onerror = () => setConnection('down', 'Disconnected — reconnecting…');
}

function report(err) { console.error(err); }

const refreshUarts = single(async function refreshUarts() {
  const board = await dev('/sim/board');
  for (const u of board.uarts || []) { const s = document.getElementById(`uart-status-${u.interface}`); if (s) s.textContent = uartText(u); }
});

// Directions, app states and counters change without an event: read them again every second
// (the cloud every 5 s: each look is two CLI runs against the cloud service).
let ticks = 0;
setInterval(() => {
  if (!stream || stream.readyState !== EventSource.OPEN) return;
  refreshGpios().catch(report); refreshApps().catch(report); refreshUarts().catch(report);
  if (++ticks % 5 === 0) { refreshCloud().catch(report); if (info) refreshMcu(info).catch(report); }
}, 1000);
connect();
