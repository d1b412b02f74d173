// Security keys (WebAuthn): registration and sign-in. Buttons with data-webauthn are hidden
// until this script runs, since the ceremonies cannot work without it.
(function () {
  "use strict";

  function csrfToken() {
    var field = document.querySelector("[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  async function post(url, body) {
    var response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
      body: body === undefined ? "{}" : JSON.stringify(body)
    });
    var data = {};
    try { data = await response.json(); } catch (ignored) { /* not JSON */ }
    return { ok: response.ok, data: data };
  }

  async function run(button) {
    var status = document.getElementById(button.getAttribute("data-status"));
    status.textContent = button.getAttribute("data-waiting");
    try {
      var options = await post(button.getAttribute("data-options-url"));
      if (!options.ok) { throw new Error(options.data.message || ""); }
      var credential;
      if (button.getAttribute("data-webauthn") === "register") {
        credential = await navigator.credentials.create({
          publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.data)
        });
      } else {
        credential = await navigator.credentials.get({
          publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.data)
        });
      }
      var body = { credential: credential.toJSON() };
      var name = document.getElementById("id_name");
      if (name) { body.name = name.value; }
      var result = await post(button.getAttribute("data-verify-url"), body);
      if (result.ok && result.data.redirect) {
        window.location.assign(result.data.redirect);
        return;
      }
      status.textContent = result.data.message || button.getAttribute("data-failed");
    } catch (error) {
      status.textContent = (error && error.message) || button.getAttribute("data-failed");
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
      return;  // this browser cannot do it: the page says what else to use
    }
    document.querySelectorAll("[data-webauthn]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { run(button); });
    });
  });
})();
