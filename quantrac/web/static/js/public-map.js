// The public map: every visible station as a circle coloured by its current VN_AQI (air) or
// VN_WQI (water) category, over the shipped outline and province boundaries (no tiles needed).
// Two API calls draw the markers (/stations and /indices/latest per index kind, in parallel);
// the boundaries load beside them and never hold the markers back.
(function () {
  "use strict";
  const QT = window.QT;
  const P = window.QTP;
  const cfg = P.config();
  const MAINLAND = [[8.2, 102.1], [23.4, 109.6]];
  /** On a wide screen the archipelagos fit beside the mainland at the same zoom. */
  const WIDE = [[8.2, 102.1], [23.4, 115.6]];
  const home = () => (mapEl.clientWidth > mapEl.clientHeight * 1.1 ? WIDE : MAINLAND);
  const WATER_STROKE = "#0d47a1";
  const AIR_STROKE = "#37474f";

  const mapEl = document.getElementById("map");
  const map = L.map(mapEl, { minZoom: 4, maxZoom: cfg.tiles.max_zoom || 18, zoomSnap: 0.25 });
  map.fitBounds(home());
  map.attributionControl.setPrefix(false);
  if (cfg.tiles.url) {
    L.tileLayer(cfg.tiles.url, { attribution: cfg.tiles.attribution, maxZoom: cfg.tiles.max_zoom }).addTo(map);
    mapEl.classList.add("with-tiles");
  } else {
    map.attributionControl.addAttribution("Natural Earth");
  }
  map.createPane("boundaries").style.zIndex = 350;

  const state = { stations: [], indices: new Map(), markers: new Map(), provinces: null };
  // One group for all markers: its handlers make the popup and tooltip of the marker under the
  // pointer on demand, instead of binding both to each of a thousand markers up front.
  const layer = L.featureGroup().addTo(map);
  layer.on("click", (e) => {
    const st = e.layer.options.station;
    L.popup({ maxWidth: 280, offset: [0, -4] }).setLatLng(e.layer.getLatLng()).setContent(popup(st)).openOn(map);
  });
  layer.on("mouseover", (e) => {
    const st = e.layer.options.station;
    if (!e.layer.getTooltip()) e.layer.bindTooltip(st.name, { direction: "top", offset: [0, -6] });
    e.layer.openTooltip();
  });
  const selMedium = document.getElementById("f-medium");
  const selProvince = document.getElementById("f-province");
  const count = document.getElementById("map-count");

  function markerStyle(st, row) {
    const cat = row ? P.category(row.kind, row.value) : null;
    const stale = row ? P.isStale(row.time) : false;
    return {
      radius: 7,
      weight: st.medium === "surface_water" ? 2 : 1,
      color: st.medium === "surface_water" ? WATER_STROKE : AIR_STROKE,
      fillColor: cat ? cat.colour : P.NO_INDEX,
      fillOpacity: stale ? 0.45 : 0.92,
      dashArray: stale ? "3 3" : null,
      cat,
      stale,
    };
  }

  function popup(st) {
    const row = state.indices.get(st.code);
    const el = QT.el;
    const stale = row && P.isStale(row.time);
    return el(
      "div",
      { class: "qt-popup" },
      el("strong", {}, P.stationLink(st.code, st.name)),
      el("div", { class: "muted" }, `${st.code} · ${P.mediumName(st.medium)} · ${P.provinceName(st.province)}`),
      row
        ? el(
            "div",
            { class: "pop-index" },
            el("span", {}, (row.kind.startsWith("wqi") ? "VN_WQI" : "VN_AQI") + " "),
            P.indexBadge(row),
            el("div", { class: "muted" }, P.indexWhen(row)),
            stale ? el("div", { class: "stale-note" }, QT.t("Not a current value")) : null,
          )
        : el("div", { class: "muted" }, QT.t("No index for this station")),
      el("a", { class: "button small", href: "/stations/" + encodeURIComponent(st.code) }, QT.t("Station page") + " →"),
    );
  }

  function visible(st) {
    if (selMedium.value && st.medium !== selMedium.value) return false;
    if (selProvince.value && P.currentProvince(st.province) !== selProvince.value) return false;
    return true;
  }

  function draw() {
    layer.clearLayers();
    let shown = 0;
    for (const st of state.stations) {
      const marker = state.markers.get(st.code);
      if (!marker || !visible(st)) continue;
      layer.addLayer(marker);
      // Leaflet makes a new SVG path each time a marker is added: label it every time.
      const node = marker.getElement && marker.getElement();
      if (node) {
        node.dataset.station = st.code;
        node.dataset.category = marker.options.cat ? marker.options.cat.label_en : "";
        node.dataset.stale = marker.options.stale ? "1" : "0";
      }
      shown += 1;
    }
    const total = state.markers.size;
    count.textContent = P.fmt("Showing {n} of {total} stations", { n: QT.fmtNumber(shown, 0), total: QT.fmtNumber(total, 0) });
  }

  function zoomToProvince(animate = true) {
    const key = selProvince.value;
    if (state.provinces) {
      state.provinces.eachLayer((l) => {
        const on = key && l.feature.properties.key === key;
        l.setStyle({ weight: on ? 2.5 : 0.8, color: on ? "#1b5e20" : "#7d8f86" });
        if (on) {
          l.bringToFront();
          map.fitBounds(l.getBounds(), { padding: [20, 20], maxZoom: 10, animate });
        }
      });
    }
    if (!key) map.fitBounds(home(), { animate });
  }

  function remember() {
    const q = new URLSearchParams(location.search);
    for (const [name, sel] of [["medium", selMedium], ["province", selProvince]]) {
      if (sel.value) q.set(name, sel.value);
      else q.delete(name);
    }
    const text = q.toString();
    history.replaceState(null, "", location.pathname + (text ? "?" + text : ""));
  }

  function buildFilters() {
    const media = new Set(state.stations.map((s) => s.medium));
    P.fillSelect(selMedium, cfg.media.filter((m) => media.has(m.code)).map((m) => [m.code, m.name]));
    const per = new Map();
    for (const st of state.stations) {
      const key = P.currentProvince(st.province);
      per.set(key, (per.get(key) || 0) + 1);
    }
    P.fillSelect(
      selProvince,
      cfg.provinces.map((p) => [p.key, per.get(p.key) ? `${p.name} (${QT.fmtNumber(per.get(p.key), 0)})` : p.name]),
    );
    const q = new URLSearchParams(location.search);
    selMedium.value = q.get("medium") || "";
    selProvince.value = q.get("province") || "";
    selMedium.addEventListener("change", () => { draw(); remember(); });
    selProvince.addEventListener("change", () => { draw(); zoomToProvince(); remember(); });
  }

  function legend() {
    const el = QT.el;
    const body = document.getElementById("legend-body");
    const rows = (scale) =>
      el("ul", { class: "legend-list" }, scale.map((c) =>
        el("li", { "data-colour": c.colour },
          el("span", { class: "swatch", style: `background:${c.colour}` }),
          `${c.label} (${c.min}–${c.max})`)));
    const sample = (style, text) => el("li", {}, el("span", { class: "swatch " + style }), text);
    body.replaceChildren(
      el("h3", {}, "VN_AQI · " + QT.t("air")),
      rows(cfg.scales.aqi),
      el("h3", {}, "VN_WQI · " + QT.t("surface water")),
      rows([...cfg.scales.wqi].reverse()),
      el("ul", { class: "legend-list" },
        sample("no-index", QT.t("No index (other media or not enough data)")),
        sample("water", QT.t("Blue outline: water station")),
        sample("stale", P.fmt("Dashed and faded: value older than {h} hours", { h: cfg.stale_after_s / 3600 }))),
      el("p", { class: "muted small" }, QT.t("Province boundaries are approximate (Natural Earth).")),
    );
  }

  async function loadBoundaries(markersDrawn) {
    const [nation, provinces] = await Promise.all([P.get("/static/geo/vietnam.geojson"), P.get("/static/geo/provinces.geojson")]);
    // The markers are what the visitor came for: the boundaries are built right after them.
    await markersDrawn;
    const land = !cfg.tiles.url;
    state.provinces = L.geoJSON(
      { type: "FeatureCollection", features: provinces.features.filter((f) => !f.properties.kind) },
      {
        pane: "boundaries",
        style: { color: "#7d8f86", weight: 0.8, fillColor: "#fbfbf6", fillOpacity: land ? 1 : 0 },
        onEachFeature: (f, l) => {
          l.bindTooltip(f.properties.name, { sticky: true, direction: "top", className: "prov-tip" });
          l.on("click", () => {
            selProvince.value = f.properties.key;
            draw();
            zoomToProvince();
            remember();
          });
        },
      },
    ).addTo(map);
    const former = provinces.features.find((f) => f.properties.kind === "former_borders");
    if (former) L.geoJSON(former, { pane: "boundaries", interactive: false, style: { color: "#b4c2bb", weight: 0.6, dashArray: "2 3" } }).addTo(map);
    L.geoJSON(nation, { pane: "boundaries", interactive: false, style: { color: "#1b5e20", weight: 1.3, fill: false } }).addTo(map);
    for (const f of provinces.features.filter((x) => x.properties.kind === "archipelago")) {
      const [lon, lat] = f.geometry.coordinates;
      L.marker([lat, lon], {
        interactive: false,
        icon: L.divIcon({ className: "archipelago", html: `<span>${f.properties.name}</span>`, iconSize: null }),
      }).addTo(map);
    }
    // A province chosen in the address is framed at once, without an animation, so that the
    // map stands still from here on (a click during a zoom would land somewhere else).
    if (selProvince.value) zoomToProvince(false);
    mapEl.dataset.settled = "1";
    performance.mark("qt-boundaries-drawn");
  }

  async function loadStations() {
    const [stations, indices] = await Promise.all([P.get("stations"), P.currentIndices()]);
    state.indices = indices;
    state.stations = stations.filter((s) => s.latitude !== null && s.longitude !== null);
    for (const st of state.stations) {
      const style = markerStyle(st, indices.get(st.code));
      const marker = L.circleMarker([st.latitude, st.longitude], Object.assign(style, { station: st }));
      state.markers.set(st.code, marker);
    }
    buildFilters();
    draw();
    mapEl.dataset.ready = "1";
    performance.mark("qt-markers-drawn");
    window.QT_MAP = { map, markers: state.markers, drawnAt: performance.now() };
  }

  legend();
  // On a phone the legend starts folded so the map is in view.
  if (window.innerWidth <= 720) document.getElementById("legend").open = false;
  const markersDrawn = loadStations().catch((err) => {
    QT.showError(count, err);
  });
  loadBoundaries(markersDrawn).catch((err) => {
    const note = document.getElementById("map-error");
    note.hidden = false;
    note.textContent = QT.t("Boundaries could not be loaded") + ": " + err.message;
  });
})();
