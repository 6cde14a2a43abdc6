// The login form: POST /api/v1/auth/login sets the session cookie, then on to the workspace.
(function () {
  "use strict";
  const QT = window.QT;
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      error.textContent = QT.t("Enter your user name and password.");
      error.hidden = false;
      return;
    }
    const button = document.getElementById("login-submit");
    button.disabled = true;
    try {
      await QT.api("auth/login", { method: "POST", json: { username, password } });
      window.location.assign(form.dataset.next || "/staff");
    } catch (err) {
      error.textContent =
        err.status === 401 ? QT.t("Wrong user name or password.") : QT.t("Error") + ": " + err.message;
      error.hidden = false;
      button.disabled = false;
    }
  });
})();
