// Events (/api/v1/events, kept to the stations you manage) and alert rules
// (/api/v1/workspace/alert-rules: list, create, disable, enable).
(function () {
  "use strict";
  const QT = window.QT;
  const S = window.QTS;
  const { el, t } = QT;
  const cfg = S.config();
  const pick = {
    station: document.getElementById("events-station"),
    kind: document.getElementById("events-kind"),
    status: document.getElementById("events-status"),
  };
  const events = document.getElementById("events-list");
  const rulesBox = document.getElementById("rules-list");
  const message = document.getElementById("rules-message");
  const form = document.getElementById("rule-form");
  let mine = new Set();

  function peak(e) {
    return e.peak_value === null ? null : QT.fmtNumber(e.peak_value, 4) + (e.peak_at ? " (" + QT.fmtDateTime(e.peak_at) + ")" : "");
  }

  async function loadEvents() {
    const q = new URLSearchParams({ limit: "1000" });
    for (const [k, node] of Object.entries(pick)) if (node.value) q.set(k, node.value);
    try {
      // /events also lists public stations of others; the workspace keeps to yours.
      const rows = (await QT.api("events?" + q.toString())).filter((e) => cfg.is_admin || mine.has(e.station));
      events.replaceChildren(
        S.table(
          [
            { label: t("Kind"), value: (e) => t(e.kind) },
            { label: t("Station"), value: (e) => e.station },
            { label: t("Parameter"), value: (e) => e.parameter },
            { label: t("Status"), value: (e) => S.badge(t(e.status), e.status === "open" ? "bad" : "idle") },
            { label: t("Started"), value: (e) => QT.fmtDateTime(e.started_at) },
            { label: t("Ended"), value: (e) => (e.ended_at ? QT.fmtDateTime(e.ended_at) : null) },
            { label: t("Peak"), value: peak, num: true },
          ],
          rows.slice(0, 500),
          { rowAttrs: (e) => ({ "data-event": String(e.id) }) }
        )
      );
    } catch (err) {
      S.failed(events, err);
    }
  }

  async function switchRule(rule, button) {
    await S.busy(button, async () => {
      try {
        await QT.api(`workspace/alert-rules/${rule.id}/${rule.active ? "disable" : "enable"}`, { method: "POST" });
        S.say(message, S.fmt(rule.active ? "Rule {name} disabled." : "Rule {name} enabled.", { name: rule.name }), "ok");
        await loadRules();
      } catch (err) {
        S.failed(message, err);
      }
    });
  }

  async function loadRules() {
    try {
      const rules = await QT.api("workspace/alert-rules");
      rulesBox.replaceChildren(
        S.table(
          [
            { label: t("Rule name"), value: (r) => r.name },
            { label: t("Event kinds"), value: (r) => r.event_kinds.map((k) => t(k)).join(", ") },
            { label: t("Stations"), value: (r) => (r.stations ? r.stations.join(", ") : t("every station")) },
            { label: t("Channel"), value: (r) => r.channel + (r.has_secret ? " · " + t("signed") : "") },
            { label: t("Recipients or URL"), value: (r) => r.target },
            { label: t("State"), value: (r) => S.badge(r.active ? t("active") : t("disabled"), r.active ? "ok" : "idle") },
            {
              label: "",
              value: (r) => {
                if (!cfg.can_write) return null;
                const b = el("button", { type: "button", class: "small secondary", "data-rule": String(r.id) }, r.active ? t("Disable") : t("Enable"));
                b.addEventListener("click", () => switchRule(r, b));
                return b;
              },
            },
          ],
          rules
        )
      );
    } catch (err) {
      S.failed(rulesBox, err);
    }
  }

  async function create(event) {
    event.preventDefault();
    const kinds = [...form.querySelectorAll("input[name=kinds]:checked")].map((i) => i.value);
    const stations = [...form.stations.selectedOptions].map((o) => o.value);
    const body = {
      name: form.name.value.trim(),
      channel: form.channel.value,
      target: form.target.value.trim(),
      event_kinds: kinds,
      stations: stations.length ? stations : null,
      secret: form.channel.value === "webhook" ? form.secret.value : null,
    };
    await S.busy(document.getElementById("rule-save"), async () => {
      try {
        const made = await QT.api("workspace/alert-rules", { method: "POST", json: body });
        S.say(message, S.fmt("Rule {name} created.", { name: made.name }), "ok");
        form.reset();
        await loadRules();
      } catch (err) {
        S.failed(message, err);
      }
    });
  }

  async function init() {
    try {
      const stations = await QT.api("workspace/stations");
      mine = new Set(stations.map((s) => s.code));
      const items = stations.map((s) => ({ value: s.code, label: S.stationLabel(s) }));
      S.options(pick.station, items, t("All my stations"));
      if (form) S.options(form.stations, items);
    } catch (err) {
      S.failed(events, err);
    }
    for (const node of Object.values(pick)) node.addEventListener("change", loadEvents);
    if (form) {
      const secretBox = document.getElementById("rule-secret-box");
      form.channel.addEventListener("change", () => (secretBox.hidden = form.channel.value !== "webhook"));
      form.addEventListener("submit", create);
    }
    await Promise.all([loadEvents(), loadRules()]);
  }

  init();
})();
