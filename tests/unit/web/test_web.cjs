// SPDX-License-Identifier: MIT
// test_web.cjs SPHERE DEVICE CID OUT_DIR — the board page in a real browser (Debian's chromium,
// headless, driven by puppeteer-core): run by test_web.sh with webprobe.c running on DEVICE.
// Starts `sphere sim web` itself (so that it can drop and restore the live channel), then checks:
// the page loads; LED 1 follows the app's GPIO within 200 ms (printed: GPIO change at the board
// -> DOM change painted); button A reaches the app; a line typed into the ISU0 console reaches
// the app and its answer shows; the ADC slider changes what the app reads; stop and start; the
// stream recovers after the server goes away and comes back; the cloud and OTA status shows; the
// page follows the device through a stop and start; a PWM-driven LED shows its brightness.
// Screenshots go to OUT_DIR, the counts of passed and failed checks to OUT_DIR/browser.counts.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const [sphere, device, cid, outDir] = process.argv.slice(2);
const short = cid.slice(0, 8);
let passed = 0, failed = 0; // written to OUT_DIR/browser.counts; test_web.sh prints the summary
const ok = (what) => { passed++; console.log(`ok: ${what}`); };
const bad = (what) => { failed++; console.log(`FAIL: ${what}`); };

function startServer(listen) {
  return new Promise((resolve, reject) => {
    const child = spawn(sphere, ['sim', 'web', '-d', device, '--listen', listen], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^(http:\/\/\S+)\n/);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`sphere sim web exited ${code}`)));
  });
}
const stopServer = (s) => new Promise((resolve) => { s.child.removeAllListeners('exit'); s.child.on('exit', resolve); s.child.kill('SIGTERM'); });

async function step(name, fn) {
  try { await fn(); ok(name); } catch (e) { bad(`${name}: ${e.message}`); }
}

async function shot(page, name) { await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true }); }

let server = null;
// The server never outlives the test, however it ends.
process.on('exit', () => { if (server) server.child.kill('SIGTERM'); });
process.on('SIGTERM', () => process.exit(1));

(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  server = await startServer('127.0.0.1:0');
  const port = new URL(server.url).port;
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const timer = setTimeout(() => { console.log('FAIL: the browser test took more than 120 s'); process.exit(1); }, 120000);
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1400 });
    page.on('pageerror', (e) => bad(`page error: ${e.message}`));
    const logHas = (text) => page.waitForFunction((id, t) => (document.getElementById(id)?.textContent || '').includes(t),
      { timeout: 8000 }, `log-${short}`, text);

    await step('the page loads and goes live', async () => {
      await page.goto(server.url, { waitUntil: 'load' });
      await page.waitForSelector('#connection[data-state="live"]', { timeout: 10000 });
      await page.waitForSelector('#led-led1', { timeout: 10000 });
      await page.waitForSelector(`#app-${short}`, { timeout: 10000 });
      await logHas('WEB started');
      const title = await page.$eval('#device-name', (e) => e.textContent);
      if (title !== device) throw new Error(`the page names device '${title}'`);
      await shot(page, '1-loaded');
    });

    await step('the cloud and OTA status shows', async () => {
      await page.waitForFunction(() => (document.getElementById('cloud-state')?.textContent || '').includes('version 7 (1234 bytes)'), { timeout: 15000 });
    });

    await step('LED 1 follows the app within 200 ms', async () => {
      const samples = await page.evaluate(() => new Promise((resolve) => {
        const node = document.getElementById('led-led1');
        const got = [];
        let last = node.dataset.on;
        new MutationObserver(() => {
          const { on, seq, eventTime, receivedAt } = node.dataset;
          if (on === last) return;
          last = on;
          requestAnimationFrame(() => { // the frame that shows it has been laid out and painted
            const lamp = node.querySelector('.lamp');
            const now = Date.now();
            got.push({ on, seq: Number(seq), latency: now - Date.parse(eventTime), received: Number(receivedAt) - Date.parse(eventTime),
              colour: getComputedStyle(lamp).backgroundColor });
            if (got.length >= 12) resolve(got);
          });
        }).observe(node, { attributes: true, attributeFilter: ['data-on'] });
      }));
      const lat = samples.map((s) => s.latency).sort((a, b) => a - b);
      const median = lat[Math.floor(lat.length / 2)], max = lat[lat.length - 1];
      console.log(`latency: GPIO change -> LED painted, ${lat.length} changes: median ${median} ms, max ${max} ms (${lat.join(' ')})`);
      const worst = samples.reduce((a, b) => (b.latency > a.latency ? b : a));
      console.log(`latency: the slowest change (event ${worst.seq}) reached the page after ${worst.received} ms, painted after ${worst.latency} ms`);
      const lit = samples.find((s) => s.on === '1');
      if (!lit || !/^rgb\(255, 0, 0\)$/.test(lit.colour)) throw new Error(`LED 1 lit shows ${lit && lit.colour}, expected red`);
      if (samples.filter((s) => s.latency > 200).length > 1) throw new Error(`more than one change took over 200 ms: ${lat.join(' ')}`);
      await page.waitForSelector('#led-led1[data-on="1"]', { timeout: 2000 });
      await shot(page, '2-led-on');
    });

    await step('button A reaches the app (mouse, then keyboard)', async () => {
      await page.click('#button-12');
      await logHas('WEB button A pressed');
      await shot(page, '3-button');
      const label = await page.$eval('#button-12', (b) => b.getAttribute('aria-label'));
      if (!/Button A/.test(label)) throw new Error(`button A's accessible name is '${label}'`);
      await page.focus('#button-12');
      await page.keyboard.down('Space');
      await page.waitForSelector('#button-12[aria-pressed="true"]', { timeout: 2000 });
      await new Promise((r) => setTimeout(r, 200));
      await page.keyboard.up('Space');
      await page.waitForFunction((id) => (document.getElementById(id).textContent.match(/WEB button A pressed/g) || []).length >= 2,
        { timeout: 5000 }, `log-${short}`);
    });

    await step('a line typed into the ISU0 console reaches the app', async () => {
      await page.type('#console-input-ISU0', 'hello web');
      await page.keyboard.press('Enter');
      await logHas('WEB uart got hello web');
      await page.waitForFunction(() => document.getElementById('console-ISU0').textContent.includes('echo: hello web'), { timeout: 5000 });
      await shot(page, '4-uart');
    });

    await step('the ADC slider changes what the app reads', async () => {
      await page.$eval('#adc-1', (s) => { s.value = '1.25'; s.dispatchEvent(new Event('input', { bubbles: true })); });
      await logHas('WEB adc 2048'); // round(1.25 / 2.5 * 4095)
      await shot(page, '5-adc');
    });

    await step('stop and start the app', async () => {
      await page.click(`#stop-${short}`);
      await page.waitForSelector(`#app-${short}[data-state="stopped"]`, { timeout: 8000 });
      await shot(page, '6-stopped');
      await page.click(`#start-${short}`);
      await page.waitForSelector(`#app-${short}[data-state="running"]`, { timeout: 8000 });
      await page.waitForFunction((id) => (document.getElementById(id).textContent.match(/WEB started/g) || []).length >= 2,
        { timeout: 8000 }, `log-${short}`);
    });

    await step('the live channel recovers after a disconnect', async () => {
      await stopServer(server);
      await page.waitForSelector('#connection[data-state="down"]', { timeout: 5000 });
      await new Promise((r) => setTimeout(r, 1500)); // refreshes fail meanwhile
      if (!(await page.$('#adc-1'))) throw new Error('the ADC sliders went away while the server was away');
      await shot(page, '7-disconnected');
      server = await startServer(`127.0.0.1:${port}`);
      await page.waitForFunction(() => window.sphereWeb.connections >= 2 && document.getElementById('connection').dataset.state === 'live', { timeout: 10000 });
      const before = await page.$eval('#led-led1', (n) => Number(n.dataset.seq || 0));
      await page.waitForFunction((b) => Number(document.getElementById('led-led1').dataset.seq || 0) > b, { timeout: 3000 }, before);
      // what the page showed while the server was away is still there, not replaced by "none"
      await page.waitForSelector('#adc-1', { timeout: 3000 });
      await page.waitForFunction(() => (document.getElementById('cloud-state')?.textContent || '').includes('version 7'), { timeout: 10000 });
      await shot(page, '8-reconnected');
    });

    await step('the page follows a device restart (state, LED, console)', async () => {
      const sim = (what) => {
        const r = spawnSync(sphere, ['sim', what, device], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`sphere sim ${what} ${device}: ${r.stderr}`);
      };
      sim('stop');
      await page.waitForSelector('#connection[data-state="unreachable"]', { timeout: 8000 });
      await shot(page, '9-device-stopped');
      sim('start');
      await page.waitForSelector('#connection[data-state="live"]', { timeout: 15000 });
      // the device's log starts afresh with the device, and so does the page's copy
      await page.waitForFunction((id) => { const t = document.getElementById(id).textContent; return !t.includes('hello web') && t.includes('WEB started'); },
        { timeout: 15000 }, `log-${short}`);
      const before = await page.$eval('#led-led1', (n) => Number(n.dataset.seq || 0));
      await page.waitForFunction((b) => { const s = Number(document.getElementById('led-led1').dataset.seq || 0); return s && s !== b; },
        { timeout: 5000 }, before);
      await new Promise((r) => setTimeout(r, 1200)); // the server finds the UART's new host PTY within a second
      await page.type('#console-input-ISU0', 'after restart');
      await page.keyboard.press('Enter');
      await logHas('WEB uart got after restart');
      await shot(page, '10-device-restarted');
    });

    await step('a PWM-driven LED shows its brightness', async () => {
      const r = spawnSync(sphere, ['device', 'sideload', 'deploy', '-d', device, '-p', process.env.WEB_PWM_PACKAGE], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`deploying the PWM variant: ${r.stderr}`);
      await logHas('WEB pwm applied');
      await page.waitForFunction(() => /LED1 on: green 25 %/.test(document.querySelector('#led-led1 .lamp').getAttribute('aria-label')),
        { timeout: 8000 });
      const colour = await page.$eval('#led-led1 .lamp', (l) => getComputedStyle(l).backgroundColor);
      if (colour !== 'rgb(0, 55, 0)') throw new Error(`LED 1 at 25 % green shows ${colour}`);
      const row = await page.$$eval('#pwm-table tr', (rows) => rows.map((t) => t.textContent).find((t) => t.startsWith('PWM-CONTROLLER-2.1')));
      if (!row || !row.includes('25 %') || !row.includes('inversed')) throw new Error(`the PWM table's row: ${row}`);
      await shot(page, '11-pwm');
    });
  } finally {
    clearTimeout(timer);
    await browser.close();
    await stopServer(server);
    server = null;
  }
  fs.writeFileSync(path.join(outDir, 'browser.counts'), `${passed} ${failed}\n`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log(`FAIL: ${e.stack}`); process.exit(1); });
