// Users, API keys and the audit log, for administrators: the existing /api/v1/admin/* routes.
(function () {
  "use strict";
  const QT = window.QT;
  const S = window.QTS;
  const { el, t } = QT;
  const cfg = S.config();
  const message = document.getElementById("users-message");
  const userForm = document.getElementById("user-form");
  const keyForm = document.getElementById("key-form");
  const shown = document.getElementById("key-shown");

  async function act(button, call, done) {
    await S.busy(button, async () => {
      try {
        await call();
        S.say(message, done, "ok");
        await load();
      } catch (err) {
        S.failed(message, err);
      }
    });
  }

  function usersTable(users) {
    return S.table(
      [
        { label: t("User name"), value: (u) => el("strong", {}, u.username) },
        { label: t("Full name"), value: (u) => u.full_name },
        { label: t("Role"), value: (u) => t(u.role) },
        { label: t("Province"), value: (u) => (u.admin_unit_key ? S.provinceName(u.admin_unit_key) : null) },
        { label: t("Organization"), value: (u) => u.organization },
        { label: t("State"), value: (u) => S.badge(u.active ? t("active") : t("disabled"), u.active ? "ok" : "idle") },
        { label: t("Created"), value: (u) => QT.fmtDate(u.created_at) },
        {
          label: "",
          value: (u) => {
            if (!u.active || "user:" + u.username === cfg.actor) return null;
            const b = el("button", { type: "button", class: "small secondary", "data-disable": u.username }, t("Disable"));
            b.addEventListener("click", () => {
              if (window.confirm(S.fmt("Disable user {name}? Their sessions end at once.", { name: u.username }))) {
                act(b, () => QT.api(`admin/users/${encodeURIComponent(u.username)}/disable`, { method: "POST" }), S.fmt("User {name} disabled.", { name: u.username }));
              }
            });
            return b;
          },
        },
      ],
      users,
      { rowAttrs: (u) => ({ "data-user": u.username }) }
    );
  }

  function keysTable(keys) {
    return S.table(
      [
        { label: t("Prefix"), value: (k) => el("code", {}, k.prefix) },
        { label: t("Key name"), value: (k) => k.name },
        { label: t("For"), value: (k) => k.user || k.organization },
        { label: t("Scopes"), value: (k) => k.scopes },
        { label: t("Created"), value: (k) => QT.fmtDate(k.created_at) },
        { label: t("Last used"), value: (k) => QT.fmtDateTime(k.last_used_at) },
        { label: t("State"), value: (k) => (k.revoked_at ? S.badge(t("revoked"), "idle") : S.badge(t("active"), "ok")) },
        {
          label: "",
          value: (k) => {
            if (k.revoked_at) return null;
            const b = el("button", { type: "button", class: "small secondary", "data-revoke": k.prefix }, t("Revoke"));
            b.addEventListener("click", () => {
              if (window.confirm(S.fmt("Revoke key {prefix}? It stops working at once.", { prefix: k.prefix }))) {
                act(b, () => QT.api(`admin/keys/${encodeURIComponent(k.prefix)}`, { method: "DELETE" }), S.fmt("Key {prefix} revoked.", { prefix: k.prefix }));
              }
            });
            return b;
          },
        },
      ],
      keys
    );
  }

  function auditTable(rows) {
    return S.table(
      [
        { label: t("At"), value: (a) => QT.fmtDateTime(a.at) },
        { label: t("Who"), value: (a) => a.actor },
        { label: t("Action"), value: (a) => el("code", {}, a.action) },
        { label: t("Target"), value: (a) => a.target },
        { label: t("Details"), value: (a) => (a.details ? el("code", { class: "details" }, JSON.stringify(a.details)) : null) },
        { label: t("From"), value: (a) => a.remote_addr },
      ],
      rows
    );
  }

  async function load() {
    try {
      const [users, keys, audit] = await Promise.all([QT.api("admin/users"), QT.api("admin/keys"), QT.api("admin/audit?limit=100")]);
      document.getElementById("users-list").replaceChildren(usersTable(users));
      document.getElementById("keys-list").replaceChildren(keysTable(keys));
      document.getElementById("audit-list").replaceChildren(auditTable(audit));
      S.options(keyForm.user, users.filter((u) => u.active).map((u) => ({ value: u.username, label: u.username })), t("— none —"));
    } catch (err) {
      S.failed(message, err);
    }
  }

  userForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const f = userForm.elements;
    const body = {
      username: f.username.value.trim(),
      password: f.password.value,
      role: f.role.value,
      full_name: f.full_name.value.trim() || null,
      admin_unit: f.role.value === "province" ? f.admin_unit.value || null : null,
      organization: f.role.value === "enterprise" ? f.organization.value || null : null,
    };
    act(document.getElementById("user-save"), async () => {
      await QT.api("admin/users", { method: "POST", json: body });
      userForm.reset();
    }, S.fmt("User {name} created.", { name: body.username }));
  });

  keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const f = keyForm.elements;
    const scopes = [...keyForm.querySelectorAll("input[name=scopes]:checked")].map((i) => i.value).join(",");
    const body = { name: f.keyname.value.trim(), user: f.user.value || null, organization: f.organization.value || null, scopes: scopes || "read" };
    act(document.getElementById("key-save"), async () => {
      const made = await QT.api("admin/keys", { method: "POST", json: body });
      keyForm.reset();
      shown.hidden = false;
      shown.replaceChildren(
        el("div", { class: "msg warn", role: "status" },
          el("p", {}, t("The new key — copy it now, it is shown only once:")),
          el("p", {}, el("code", { class: "secret", "data-testid": "new-key" }, made.key)))
      );
    }, t("Key created."));
  });

  async function init() {
    const provinces = (cfg.provinces || []).map((p) => ({ value: p.key, label: p.name }));
    S.options(userForm.elements.admin_unit, provinces, t("— none —"));
    try {
      const orgs = await QT.api("workspace/organizations");
      const items = orgs.map((o) => ({ value: o.code, label: o.code + " — " + o.name }));
      S.options(userForm.elements.organization, items, t("— none —"));
      S.options(keyForm.elements.organization, items, t("— none —"));
    } catch (err) {
      S.failed(message, err);
    }
    await load();
  }

  init();
})();
