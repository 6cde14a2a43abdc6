// Copies the portal's front-end libraries from node_modules into quantrac/web/static/vendor
// and extracts Vietnam's outline from Natural Earth (world-atlas, public domain) so the
// portal works offline. Run `npm ci && node vendor.mjs` after changing package.json; the
// output is committed.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { feature } from "topojson-client";

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
console.log("vendored into", out);
