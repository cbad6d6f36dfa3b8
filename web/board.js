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

  // [{label, channels: {red: gpio, green: gpio, blue: gpio} | {mono: gpio}}]
  function leds(gpios) {
    const groups = new Map();
    for (const g of gpios) {
      if (!/LED/i.test(g.name)) continue;
      const m = g.name.match(/^(.*)_(RED|GREEN|BLUE)$/i);
      const key = m ? m[1] : g.name;
      if (!groups.has(key)) groups.set(key, { label: prettify(key), channels: {} });
      groups.get(key).channels[m ? COLOURS[m[2].toUpperCase()] : 'mono'] = g.gpio;
    }
    return [...groups.values()];
  }

  function buttons(gpios) {
    return gpios.filter((g) => /BUTTON/i.test(g.name)).map((g) => ({ label: prettify(g.name), gpio: g.gpio }));
  }

  // "MT3620_RDB_LED1" -> "LED1", "MT3620_RDB_BUTTON_A" -> "Button A"
  function prettify(name) {
    const short = name.replace(/^MT3620_RDB_|^[A-Z0-9]+_MT3620_/, '');
    return short.replace(/^BUTTON_/, 'Button ').replace(/_/g, ' ');
  }

  return { loadDefinition, resolveGpios, leds, buttons };
})();
