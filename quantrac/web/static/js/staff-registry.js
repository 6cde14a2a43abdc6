// Station registry: the stations you manage (/api/v1/workspace/stations); agency staff add
// (POST), edit (PATCH with only the changed fields) and retire them.
(function () {
  "use strict";
  const QT = window.QT;
  const S = window.QTS;
  const { el, t } = QT;
  const cfg = S.config();
  const list = document.getElementById("registry-list");
  const message = document.getElementById("registry-message");
  const form = document.getElementById("station-form");
  const filter = document.getElementById("registry-filter");
  const NUMBERS = ["kq", "kf", "latitude", "longitude", "reporting_interval_s"];
  const TEXTS = ["name", "kind", "medium", "admin_unit", "owner", "visibility", "network", "regulation", "regulation_column", "address", "notes"];
  const media = Object.fromEntries((cfg.media || []).map((m) => [m.code, m.name]));
  let stations = [];
  let editing = null; // the station being edited, or null for a new one

  function render() {
    const q = filter.value.trim().toLowerCase();
    const shown = stations.filter((s) => !q || s.code.toLowerCase().includes(q) || s.name.toLowerCase().includes(q));
    list.replaceChildren(
      S.table(
        [
          { label: t("Code"), value: (s) => el("strong", {}, s.code) },
          { label: t("Name"), value: (s) => s.name },
          { label: t("Kind"), value: (s) => t(s.kind) },
          { label: t("Medium"), value: (s) => media[s.medium] || s.medium },
          { label: t("Province"), value: (s) => S.provinceName(s.province) },
          { label: t("Owner"), value: (s) => s.owner },
          { label: t("Visibility"), value: (s) => S.badge(t(s.visibility), s.visibility === "public" ? "ok" : "idle") },
          { label: t("Regulation"), value: (s) => (s.regulation ? s.regulation + (s.regulation_column ? " · " + s.regulation_column : "") : null) },
          { label: t("Interval"), value: (s) => (s.reporting_interval_s ? S.duration(s.reporting_interval_s) : null), num: true },
          {
            label: "",
            value: (s) =>
              cfg.is_staff ? el("button", { type: "button", class: "small secondary", "data-edit": s.code, onclick: () => open(s) }, t("Edit")) : null,
          },
        ],
        shown,
        { rowAttrs: (s) => ({ "data-station": s.code }) }
      )
    );
  }

  function regulationChoices(medium, keep) {
    const regs = Object.entries(cfg.regulations || {})
      .filter(([code, r]) => r.medium === medium || code === keep)
      .map(([code]) => ({ value: code, label: code }));
    S.options(form.regulation, regs, t("— none —"));
    form.regulation.value = keep || "";
    columnChoices();
  }

  function columnChoices(keep) {
    const reg = (cfg.regulations || {})[form.regulation.value];
    const cols = reg ? reg.columns.map((c) => ({ value: c, label: c })) : [];
    S.options(form.regulation_column, cols, t("— none —"));
    if (keep !== undefined) form.regulation_column.value = keep || "";
  }

  function open(s) {
    editing = s || null;
    const v = s || { kind: "automatic", visibility: "public", medium: (cfg.media[0] || {}).code, province: cfg.home_unit };
    document.getElementById("station-form-title").textContent = s ? S.fmt("Edit station {code}", { code: s.code }) : t("New station");
    form.code.value = v.code || "";
    form.code.disabled = Boolean(s);
    if (v.province && ![...form.admin_unit.options].some((o) => o.value === v.province)) {
      form.admin_unit.append(el("option", { value: v.province }, S.provinceName(v.province) + " (" + v.province + ")"));
    }
    for (const name of TEXTS) {
      if (name === "admin_unit") form.admin_unit.value = v.province || "";
      else if (form[name]) form[name].value = v[name] === null || v[name] === undefined ? "" : v[name];
    }
    for (const name of NUMBERS) form[name].value = v[name] === null || v[name] === undefined ? "" : QT.fmtNumber(v[name], 6).replace(/\s/g, "");
    regulationChoices(form.medium.value, v.regulation);
    columnChoices(v.regulation_column);
    document.getElementById("station-retire").hidden = !s;
    form.hidden = false;
    form.scrollIntoView({ block: "start" });
    form.name.focus();
  }

  /** The form as the API wants it: numbers parsed, empty fields null. */
  function values() {
    const out = {};
    for (const name of TEXTS) out[name] = form[name].value.trim() || null;
    for (const name of NUMBERS) {
      const n = S.parseNumber(form[name].value);
      if (Number.isNaN(n)) throw new Error(S.fmt("{field} is not a number", { field: form.querySelector(`label[for=f-${name}]`).textContent }));
      out[name] = n;
    }
    return out;
  }

  function changes(v) {
    const old = { ...editing, admin_unit: editing.province };
    const out = {};
    for (const [k, val] of Object.entries(v)) {
      const before = old[k] === undefined ? null : old[k];
      if (val !== before) out[k] = val;
    }
    return out;
  }

  async function save(event) {
    event.preventDefault();
    const button = document.getElementById("station-save");
    await S.busy(button, async () => {
      try {
        const v = values();
        let saved;
        if (editing) {
          saved = await QT.api(`workspace/stations/${encodeURIComponent(editing.code)}`, { method: "PATCH", json: changes(v) });
        } else {
          const body = Object.fromEntries(Object.entries({ code: form.code.value.trim(), ...v }).filter(([, x]) => x !== null));
          saved = await QT.api("workspace/stations", { method: "POST", json: body });
        }
        form.hidden = true;
        S.say(message, S.fmt("Station {code} saved.", { code: saved.code }), "ok");
        await load();
      } catch (err) {
        S.failed(message, err);
      }
    });
  }

  async function retire() {
    if (!editing || !window.confirm(S.fmt("Retire station {code}? It disappears from every list; its data are kept.", { code: editing.code }))) return;
    try {
      await QT.api(`workspace/stations/${encodeURIComponent(editing.code)}/retire`, { method: "POST" });
      form.hidden = true;
      S.say(message, S.fmt("Station {code} retired.", { code: editing.code }), "ok");
      await load();
    } catch (err) {
      S.failed(message, err);
    }
  }

  async function load() {
    try {
      stations = await QT.api("workspace/stations");
      render();
    } catch (err) {
      S.failed(list, err);
    }
  }

  async function init() {
    if (cfg.is_staff) {
      S.options(form.medium, (cfg.media || []).map((m) => ({ value: m.code, label: m.name })));
      const names = (cfg.provinces || []).map((p) => p.name);
      const label = (p) => (names.indexOf(p.name) !== names.lastIndexOf(p.name) ? `${p.name} (${p.key})` : p.name);
      S.options(form.admin_unit, (cfg.provinces || []).map((p) => ({ value: p.key, label: label(p) })), cfg.role === "admin" ? t("— none —") : undefined);
      try {
        const orgs = await QT.api("workspace/organizations");
        S.options(form.owner, orgs.map((o) => ({ value: o.code, label: o.code + " — " + o.name })), t("— none —"));
      } catch (err) {
        S.failed(message, err);
      }
      document.getElementById("registry-new").addEventListener("click", () => open(null));
      document.getElementById("station-cancel").addEventListener("click", () => (form.hidden = true));
      document.getElementById("station-retire").addEventListener("click", retire);
      form.medium.addEventListener("change", () => regulationChoices(form.medium.value, null));
      form.regulation.addEventListener("change", () => columnChoices(""));
      form.addEventListener("submit", save);
    }
    filter.addEventListener("input", render);
    await load();
  }

  init();
})();
