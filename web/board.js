// SPDX-License-Identifier: MIT
// board.js — what the board has, from its hardware definition (the SDK's file the board file
// names, with its imports, fetched through /api/hwdef/): every named GPIO with its number, LEDs
// grouped by colour channel (NAME_RED/_GREEN/_BLUE form one RGB LED), buttons. Any board file
// works: names containing "LED" are drawn as LEDs, "BUTTON" as buttons, the rest as plain lines.
'use strict';

const SphereBoard = (() => {
  const base = (path) => path.split('/').pop();

  async function loadDefinition(file, api, seen = new Set()) {
    const name = base(file);
    if (seen.has(name)) return [];
    seen.add(name);
    const def = await api(`/api/hwdef/${encodeURIComponent(name)}`);
    let peripherals = (def.Peripherals || []).map((p) => ({ ...p }));
    for (const imp of def.Imports || []) peripherals = peripherals.concat(await loadDefinition(imp.Path, api, seen));
    return peripherals;
  }

  // name -> GPIO number, following Mapping chains down to an AppManifestValue.
  function resolveGpios(peripherals) {
    const byName = new Map(peripherals.map((p) => [p.Name, p]));
    const value = (p, depth = 0) => {
      if (!p || depth > 8) return undefined;
      if (typeof p.AppManifestValue === 'number') return p.AppManifestValue;
      return value(byName.get(p.Mapping), depth + 1);
    };
    const gpios = [];
    for (const p of peripherals) {
      if (p.Type !== 'Gpio' || !p.Mapping) continue; // chip-level names are reached through a board's
      const n = value(p);
      if (typeof n === 'number') gpios.push({ name: p.Name, gpio: n, comment: p.Comment || '' });
    }
    if (!gpios.length) // a bare chip definition: its own lines
      for (const p of peripherals)
        if (p.Type === 'Gpio' && typeof p.AppManifestValue === 'number') gpios.push({ name: p.Name, gpio: p.AppManifestValue, comment: '' });
    return gpios;
  }

  const COLOURS = { RED: 'red', GREEN: 'green', BLUE: 'blue' };
  // The colour of a single-colour LED, from its name (white when it does not say).
  const MONO = { YELLOW: [255, 220, 0], AMBER: [255, 170, 0], ORANGE: [255, 140, 0], WHITE: [255, 255, 255],
    RED: [255, 0, 0], GREEN: [0, 220, 0], BLUE: [0, 80, 255] };

  // The board's own prefix ("MT3620_RDB_", "AVNET_MT3620_SK_"): the words every GPIO name shares.
  function commonPrefix(all) {
    const gpios = all.filter((g) => /LED|BUTTON/i.test(g.name));
    if (gpios.length < 2) return '';
    const words = gpios[0].name.split('_');
    let n = 0;
    while (n < words.length - 1 && gpios.every((g) => g.name.split('_')[n] === words[n])) n++;
    return n ? `${words.slice(0, n).join('_')}_` : '';
  }

  // [{label, channels: {red: gpio, green: gpio, blue: gpio} | {mono: gpio}, rgb: [r, g, b] for mono}]
  function leds(gpios) {
    const prefix = commonPrefix(gpios);
    const groups = new Map();
    for (const g of gpios) {
      if (!/LED/i.test(g.name)) continue;
      const m = g.name.match(/^(.*)_(RED|GREEN|BLUE)$/i);
      const key = m ? m[1] : g.name;
      if (!groups.has(key)) {
        const colour = Object.keys(MONO).find((c) => new RegExp(`(^|_)${c}(_|$)`, 'i').test(key));
        groups.set(key, { label: prettify(key, prefix), channels: {}, rgb: MONO[colour || 'WHITE'] });
      }
      groups.get(key).channels[m ? COLOURS[m[2].toUpperCase()] : 'mono'] = g.gpio;
    }
    return [...groups.values()];
  }

  function buttons(gpios) {
    const prefix = commonPrefix(gpios);
    return gpios.filter((g) => /BUTTON/i.test(g.name)).map((g) => ({ label: prettify(g.name, prefix), gpio: g.gpio }));
  }

  // "MT3620_RDB_LED1" -> "LED1", "MT3620_RDB_BUTTON_A" -> "Button A", "..._SK_USER_BUTTON_B" -> "User button B"
  function prettify(name, prefix) {
    const short = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    const words = short.replace(/_/g, ' ').replace(/\bBUTTON\b/, 'button').replace(/\bUSER\b/, 'user');
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  return { loadDefinition, resolveGpios, leds, buttons };
})();
