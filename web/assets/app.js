// The reference page: sign up, sign in (autofill or button), and manage passkeys, all through
// the SDK. User-controlled text is only ever set with textContent.
import { Passkeyd, PasskeydError } from "./passkeyd.js";

const api = new Passkeyd();
const $ = (id) => document.getElementById(id);

const messages = {
  username_taken: "That username is taken. Choose another or sign in.",
  invalid_request: "Please check what you entered.",
  challenge_unknown: "That request expired. Please try again.",
  credential_unknown: "This passkey is not registered here. It may have been deleted.",
  user_handle_mismatch: "This passkey belongs to another account.",
  signature_invalid: "The passkey's signature did not verify. Please try again.",
  counter_regression: "This passkey may have been copied and is blocked. Sign in another way and delete it.",
  user_verification_required: "Your device must verify it's you (PIN, fingerprint or face).",
  last_credential: "You can't delete your last passkey: you would have no way to sign in. Add another passkey first.",
  invalid_credentials: "That didn't match. Check what you typed (codes work once).",
  credential_exists: "This is already set up.",
  mfa_required: "Enter your second factor.",
  rate_limited: "Too many attempts. Please wait a moment.",
  unavailable: "The service is temporarily unavailable. Please try again.",
  cancelled: "Cancelled. Nothing was changed.",
  already_registered: "This device already has a passkey for your account.",
  reauthentication_required: "For your security, confirm it's you first.",
  account_locked: "Too many failed attempts. Wait a while, or sign in with a passkey.",
};

// Changes that decide who can get into the account need a recent sign-in. sensitive runs
// such a change and, when the server answers reauthentication_required, asks the user to
// confirm it's them — with a passkey when the account has one, else with the password —
// then runs the change again.
let knownPasskeys = 0;
let reauthAnswer = null;

async function sensitive(change) {
  try {
    return await change();
  } catch (err) {
    if (!(err instanceof PasskeydError) || err.code !== "reauthentication_required") throw err;
  }
  await reauthenticate();
  return change();
}

async function reauthenticate() {
  if (knownPasskeys > 0 && Passkeyd.supported()) {
    try {
      await api.reauthenticate();
      return;
    } catch (err) {
      // A cancelled prompt or a device without the passkey: offer the password instead,
      // when the account has one; the server says so if it does not.
      if (!(err instanceof PasskeydError) || !["cancelled", "credential_unknown", "browser", "invalid_request"].includes(err.code)) throw err;
    }
  }
  const form = $("reauth-form");
  form.hidden = false;
  $("reauth-password").focus();
  try {
    await new Promise((resolve, reject) => {
      reauthAnswer = { resolve, reject };
    });
  } finally {
    reauthAnswer = null;
    form.reset();
    form.hidden = true;
  }
}

$("reauth-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!reauthAnswer) return;
  const button = $("reauth-button");
  busy(button, true);
  try {
    await api.reauthenticateWithPassword($("reauth-password").value, $("reauth-code").value.replace(/\s/g, ""));
    reauthAnswer.resolve();
  } catch (err) {
    // A wrong password keeps the form open (the attempt counted towards the lockout).
    showError(err);
    if (err.code !== "invalid_credentials") reauthAnswer.reject(err);
  } finally {
    busy(button, false);
  }
});

$("reauth-cancel-button").addEventListener("click", () => {
  if (reauthAnswer) reauthAnswer.reject(new PasskeydError("cancelled", "cancelled"));
});

function showError(err) {
  const el = $("error");
  if (!err) {
    el.hidden = true;
    el.textContent = "";
    return;
  }
  const code = err instanceof PasskeydError ? err.code : "";
  el.textContent = messages[code] || (err && err.message) || String(err);
  el.dataset.code = code;
  el.hidden = false;
}

function notice(text) {
  const el = $("notice");
  el.textContent = text || "";
  el.hidden = !text;
}

function busy(button, on) {
  button.disabled = on;
  button.setAttribute("aria-busy", on ? "true" : "false");
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const when = (t) => (t ? dateFmt.format(new Date(t)) : "never");

const deviceNames = { platform: "This device", security_key: "Security key", hybrid: "Phone or tablet", unknown: "Authenticator" };

let autofillAbort = null;

// Forward authentication sends a browser here with ?rd=<the app's URL>. Once signed in (and
// past any panel the page must show first), it goes back through /return, where the server
// checks the URL against its allowlist: the page never follows rd by itself.
const returnTo = new URLSearchParams(location.search).get("rd");

// An OpenID client that asked for a fresh sign-in (prompt=login, max_age) sends reauth=1
// with a session that is too old: the user confirms it's them before going back.
let reauthPending = new URLSearchParams(location.search).has("reauth");

async function continueToApp() {
  if (!returnTo || $("signed-in").hidden || !$("codes-panel").hidden || !$("upgrade-panel").hidden) return;
  if (reauthPending) {
    try {
      await reauthenticate();
    } catch (err) {
      showError(err);
      return;
    }
    reauthPending = false;
  }
  location.assign("/return?rd=" + encodeURIComponent(returnTo));
}

async function render() {
  const s = await api.session();
  $("signed-in").hidden = !s;
  $("signed-out").hidden = !!s;
  if (!s) {
    startAutofill();
    return;
  }
  stopAutofill();
  $("whoami").textContent = `Signed in as ${s.user.displayName} (${s.user.username})`;
  $("session-info").textContent = `Signed in with ${s.session.method.replace("_", " ")} · session expires ${when(s.session.expiresAt)}`;
  await renderPasskeys();
}

async function renderPasskeys() {
  const list = $("passkey-list");
  const passkeys = await api.listPasskeys();
  knownPasskeys = passkeys.length;
  list.replaceChildren(...passkeys.map(passkeyItem));
}

function passkeyItem(p) {
  const li = document.createElement("li");
  li.dataset.id = p.id;
  li.className = "passkey";

  const main = document.createElement("div");
  main.className = "passkey-main";
  const name = document.createElement("strong");
  name.className = "passkey-name";
  name.textContent = p.name;
  const meta = document.createElement("span");
  meta.className = "hint";
  meta.textContent = `${p.provider || "Unknown provider"} · ${deviceNames[p.deviceType] || p.deviceType} · created ${when(p.createdAt)} · last used ${when(p.lastUsedAt)}`;
  main.append(name);
  if (p.backedUp) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = "Synced";
    badge.title = "Backed up by your passkey provider and available on your other devices";
    main.append(badge);
  }
  main.append(document.createElement("br"), meta);

  const actions = document.createElement("div");
  actions.className = "actions";
  const rename = document.createElement("button");
  rename.type = "button";
  rename.className = "rename";
  rename.textContent = "Rename";
  rename.addEventListener("click", () => startRename(li, p));
  const del = document.createElement("button");
  del.type = "button";
  del.className = "delete danger";
  del.textContent = "Delete";
  del.addEventListener("click", () => deletePasskey(p, del));
  actions.append(rename, del);

  li.append(main, actions);
  return li;
}

function startRename(li, p) {
  const form = document.createElement("form");
  form.className = "rename-form";
  const input = document.createElement("input");
  input.value = p.name;
  input.maxLength = 64;
  input.setAttribute("aria-label", "New passkey name");
  const save = document.createElement("button");
  save.type = "submit";
  save.className = "primary";
  save.textContent = "Save";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.textContent = "Cancel";
  cancel.addEventListener("click", () => renderPasskeys());
  form.append(input, save, cancel);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    showError(null);
    try {
      await api.renamePasskey(p.id, input.value);
      await renderPasskeys();
    } catch (err) {
      showError(err);
    }
  });
  li.replaceChildren(form);
  input.focus();
}

async function deletePasskey(p, button) {
  showError(null);
  if (!window.confirm(`Delete the passkey "${p.name}"? You won't be able to sign in with it any more.`)) return;
  busy(button, true);
  try {
    await sensitive(() => api.deletePasskey(p.id));
    notice(`Deleted "${p.name}". Remove it from your device or password manager too.`);
    await renderPasskeys();
  } catch (err) {
    showError(err);
  } finally {
    busy(button, false);
  }
}

function startAutofill() {
  if (autofillAbort) return;
  autofillAbort = new AbortController();
  const signal = autofillAbort.signal;
  api
    .autofill(signal)
    .then((res) => {
      if (res) {
        autofillAbort = null;
        notice("");
        return render();
      }
    })
    .catch((err) => {
      autofillAbort = null;
      if (!signal.aborted) showError(err);
    });
}

function stopAutofill() {
  if (autofillAbort) {
    autofillAbort.abort();
    autofillAbort = null;
  }
}

function on(id, event, fn) {
  $(id).addEventListener(event, async (e) => {
    e.preventDefault();
    showError(null);
    notice("");
    const button = e.submitter || e.currentTarget;
    busy(button, true);
    try {
      await fn(e);
    } catch (err) {
      showError(err);
      if (!$("signed-out").hidden) startAutofill();
    } finally {
      busy(button, false);
    }
  });
}

function showCodes(codes) {
  if (!codes || !codes.length) return;
  const list = $("codes-list");
  list.replaceChildren(
    ...codes.map((c) => {
      const li = document.createElement("li");
      li.textContent = c;
      return li;
    }),
  );
  $("codes-panel").hidden = false;
  $("codes-done-button").focus();
}

on("codes-done-button", "click", async () => {
  $("codes-list").replaceChildren();
  $("codes-panel").hidden = true;
  continueToApp();
});

on("signup-form", "submit", async () => {
  stopAutofill();
  const res = await api.signUp($("signup-username").value.trim(), $("signup-displayname").value.trim());
  $("signup-form").reset();
  await render();
  showCodes(res.recoveryCodes);
  continueToApp();
});

let mfaToken = "";

on("password-form", "submit", async () => {
  stopAutofill();
  let res;
  try {
    res = await api.passwordLogin($("password-username").value.trim(), $("password-password").value);
  } catch (err) {
    if (err.code !== "mfa_required") throw err;
    // The password was right; ask for the second factor.
    mfaToken = err.mfaToken;
    $("password-form").reset();
    $("mfa-form").hidden = false;
    $("mfa-code").focus();
    return;
  }
  $("password-form").reset();
  await render();
  // The upgrade nudge: a password account without a passkey is offered one at once.
  if (res.suggestPasskey) {
    $("upgrade-panel").hidden = false;
    $("upgrade-button").focus();
  }
  continueToApp();
});

on("mfa-form", "submit", async () => {
  try {
    await api.verifySecondFactor(mfaToken, $("mfa-code").value.trim());
  } finally {
    // The token is single-use: after any attempt, a new sign-in starts over.
    mfaToken = "";
    $("mfa-form").reset();
    $("mfa-form").hidden = true;
  }
  await render();
  continueToApp();
});

on("totp-setup-button", "click", async () => {
  const e = await sensitive(() => api.beginTOTP());
  $("totp-qr").src = e.qrCode || "";
  $("totp-secret").textContent = e.secret;
  $("totp-form").hidden = false;
  $("totp-code").focus();
});

on("totp-form", "submit", async () => {
  const code = $("totp-code").value.replace(/\s/g, "");
  const res = await sensitive(() => api.confirmTOTP(code));
  $("totp-form").reset();
  $("totp-form").hidden = true;
  notice("Authenticator app set up: it will be asked for after your password.");
  showCodes(res.recoveryCodes);
});

on("totp-remove-button", "click", async () => {
  if (!window.confirm("Remove the authenticator app from your account?")) return;
  await sensitive(() => api.removeTOTP());
  notice("Authenticator app removed.");
});

on("upgrade-button", "click", async () => {
  const res = await sensitive(() => api.addPasskey());
  $("upgrade-panel").hidden = true;
  notice(`Added "${res.passkey.name}". Next time, sign in with it.`);
  await renderPasskeys();
  showCodes(res.recoveryCodes);
  continueToApp();
});

on("upgrade-later-button", "click", async () => {
  $("upgrade-panel").hidden = true;
  continueToApp();
});

on("recovery-form", "submit", async () => {
  stopAutofill();
  await api.recoveryLogin($("recovery-username").value.trim(), $("recovery-code").value.trim());
  $("recovery-form").reset();
  await render();
  notice("Signed in with a recovery code. Add a new passkey now so you are not locked out again.");
  $("add-passkey-button").focus();
});

on("regenerate-codes-button", "click", async () => {
  if (!window.confirm("Replace your recovery codes? The old ones will stop working.")) return;
  showCodes(await sensitive(() => api.regenerateRecoveryCodes()));
});

on("signin-form", "submit", async () => {
  stopAutofill();
  const username = $("signin-username").value.trim();
  await api.signIn(username ? { username } : {});
  $("signin-form").reset();
  await render();
  continueToApp();
});

on("signout-button", "click", async () => {
  $("upgrade-panel").hidden = true;
  await api.signOut();
  await render();
});

on("add-passkey-button", "click", async () => {
  const res = await sensitive(() => api.addPasskey());
  notice(`Added "${res.passkey.name}".`);
  await renderPasskeys();
  showCodes(res.recoveryCodes);
});

if (!Passkeyd.supported()) {
  $("unsupported").hidden = false;
  for (const b of document.querySelectorAll("button.primary")) b.disabled = true;
}
render().then(continueToApp).catch(showError);
