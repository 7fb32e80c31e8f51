// The reference page: identifier-first sign-in (autofill, passkey, security key, password,
// second factor, recovery code), sign-up, and the account page, all through the SDK.
// User-controlled text is only ever set with textContent; every string comes from i18n.js.
import { Passkeyd, PasskeydError } from "./passkeyd.js";
import { languages, pickLanguage, setLanguage, language, t, translate } from "./i18n.js";

const api = new Passkeyd();
const $ = (id) => document.getElementById(id);

// ---- Language -----------------------------------------------------------------------------

function chooseLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  let saved = null;
  try {
    saved = localStorage.getItem("passkeyd.lang");
  } catch {
    saved = null;
  }
  return setLanguage(pickLanguage([asked, saved, ...(navigator.languages || [navigator.language])].filter(Boolean)));
}

function applyLanguage() {
  document.documentElement.lang = language();
  translate(document);
  document.title = t("page.title");
}

const langSelect = $("lang-select");
for (const [code, name] of Object.entries(languages)) {
  const o = document.createElement("option");
  o.value = code;
  o.lang = code;
  o.textContent = name;
  langSelect.append(o);
}
langSelect.addEventListener("change", async () => {
  setLanguage(langSelect.value);
  try {
    localStorage.setItem("passkeyd.lang", langSelect.value);
  } catch {
    // private mode: the choice lasts for this page
  }
  applyLanguage();
  await render();
});

// ---- Messages and field errors -------------------------------------------------------------

function message(err) {
  if (err instanceof PasskeydError) {
    let text = t("error." + err.code);
    if (err.code === "account_locked" && err.retryAfter) text += " " + t("notice.lockedFor", { minutes: Math.ceil(err.retryAfter / 60) });
    return text;
  }
  return t("error.unknown");
}

const codeOf = (err) => (err instanceof PasskeydError ? err.code : "unknown");

// showError puts the error next to the field it concerns (aria-invalid, aria-describedby,
// focus), or in the page's alert when it concerns no field.
function showError(err, field) {
  const el = $("error");
  if (!err) {
    el.hidden = true;
    el.textContent = "";
    delete el.dataset.code;
    return;
  }
  console.warn("passkeyd:", err);
  const input = field ? $(field) : null;
  const slot = field ? $(field + "-error") : null;
  if (input && slot) {
    slot.textContent = message(err);
    slot.dataset.code = codeOf(err);
    slot.hidden = false;
    input.setAttribute("aria-invalid", "true");
    const ids = new Set((input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean));
    ids.add(slot.id);
    input.setAttribute("aria-describedby", [...ids].join(" "));
    input.focus();
    return;
  }
  el.textContent = message(err);
  el.dataset.code = codeOf(err);
  el.hidden = false;
}

function clearFieldErrors(root = document) {
  for (const slot of root.querySelectorAll(".field-error")) {
    slot.hidden = true;
    slot.textContent = "";
    delete slot.dataset.code;
  }
  for (const input of root.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    const rest = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== input.id + "-error");
    if (rest.length) input.setAttribute("aria-describedby", rest.join(" "));
    else input.removeAttribute("aria-describedby");
  }
}

function notice(key, vars) {
  const el = $("notice");
  el.textContent = key ? t(key, vars) : "";
  el.hidden = !key;
}

function busy(button, on) {
  if (!button || button.tagName !== "BUTTON") return;
  button.disabled = on;
  button.setAttribute("aria-busy", on ? "true" : "false");
}

const when = (ts) => (ts ? new Intl.DateTimeFormat(language(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(ts)) : t("time.never"));

// on wires a handler; errors go next to the field returned by fieldOf(err), else to the alert.
function on(id, event, fn, fieldOf) {
  $(id).addEventListener(event, async (e) => {
    e.preventDefault();
    showError(null);
    clearFieldErrors(e.currentTarget.closest("form, section") || document);
    notice(null);
    const button = e.submitter || e.currentTarget;
    busy(button, true);
    try {
      await fn(e);
    } catch (err) {
      showError(err, fieldOf ? fieldOf(err) : null);
      if (!$("signed-out").hidden) startAutofill();
    } finally {
      busy(button, false);
    }
  });
}

// ---- Recent authentication ----------------------------------------------------------------

// Changes that decide who can get into the account need a recent sign-in. sensitive runs
// such a change and, when the server answers reauthentication_required, asks the user to
// confirm it's them — with a passkey when the account has one, else with the password —
// then runs the change again.
let state = { session: null, passkeys: [] };
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
  if (state.passkeys.length > 0 && api.isSupported()) {
    try {
      await api.reauthenticate();
      return;
    } catch (err) {
      // A cancelled prompt or a device without the passkey: offer the password instead,
      // when the account has one; the server says so if it does not.
      if (!(err instanceof PasskeydError) || !["cancelled", "credential_unknown", "unknown", "invalid_request"].includes(err.code)) throw err;
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
    clearFieldErrors(form);
    form.hidden = true;
  }
}

$("reauth-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!reauthAnswer) return;
  const button = $("reauth-button");
  busy(button, true);
  clearFieldErrors($("reauth-form"));
  try {
    await api.reauthenticateWithPassword($("reauth-password").value, $("reauth-code").value.replace(/\s/g, ""));
    reauthAnswer.resolve();
  } catch (err) {
    // A wrong password keeps the form open (the attempt counted towards the lockout).
    showError(err, "reauth-password");
    if (err.code !== "invalid_credentials") reauthAnswer.reject(err);
  } finally {
    busy(button, false);
  }
});

$("reauth-cancel-button").addEventListener("click", () => {
  if (reauthAnswer) reauthAnswer.reject(new PasskeydError("cancelled"));
});

// ---- After sign-in -------------------------------------------------------------------------

// Forward authentication sends a browser here with ?rd=<the app's URL>. Once signed in (and
// past any panel the page must show first), it goes back through /return, where the server
// checks the URL against its allowlist: the page never follows rd by itself.
const returnTo = new URLSearchParams(location.search).get("rd");

// afterSignIn is the one place that decides where a signed-in browser goes next; other
// flows (an OpenID authorization waiting for this sign-in, say) hook in here.
const afterSignInHooks = [];
export function onSignedIn(hook) {
  afterSignInHooks.push(hook);
}

// An OpenID client that asked for a fresh sign-in (prompt=login, max_age) sends reauth=1
// with a session that is too old: the user confirms it's them before going back.
let reauthPending = new URLSearchParams(location.search).has("reauth");

async function continueToApp() {
  if ($("signed-in").hidden || !$("codes-panel").hidden || !$("upgrade-panel").hidden || !$("name-panel").hidden) return;
  for (const hook of afterSignInHooks) if (hook() === true) return;
  if (!returnTo) return;
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

// ---- Rendering -----------------------------------------------------------------------------

async function render() {
  const s = await api.session();
  state.session = s;
  $("signed-in").hidden = !s;
  $("signed-out").hidden = !!s;
  if (!s) {
    $("name-panel").hidden = true;
    $("upgrade-panel").hidden = true;
    startAutofill();
    return;
  }
  stopAutofill();
  clearFieldErrors($("signed-out"));
  $("whoami").textContent = t("account.whoami", { displayName: s.user.displayName, username: s.user.username });
  const m = s.session.method;
  const method = ["passkey", "password", "mfa", "recovery_code"].includes(m) ? t("method." + m) : t("method.other", { method: m });
  $("session-info").textContent = t("account.sessionInfo", { method, expires: when(s.session.expiresAt) });
  renderFactors();
  await Promise.all([renderPasskeys(), renderSessions()]);
}

function renderFactors() {
  const f = (state.session && state.session.factors) || { password: false, totp: false };
  $("password-state").textContent = t(f.password ? "passwordCard.has" : "passwordCard.none");
  $("password-set-button").textContent = t(f.password ? "passwordCard.change" : "passwordCard.set");
  $("password-remove-button").hidden = !f.password;
  $("password-current-field").hidden = !f.password;
  $("totp-state").textContent = t(f.totp ? "totp.on" : "totp.off");
  $("totp-setup-button").hidden = f.totp;
  $("totp-remove-button").hidden = !f.totp;
}

async function renderPasskeys() {
  state.passkeys = await api.listPasskeys();
  $("passkey-list").replaceChildren(...state.passkeys.map(passkeyItem));
}

function button(text, className, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

function passkeyItem(p) {
  const li = document.createElement("li");
  li.dataset.id = p.id;
  li.className = "passkey item";
  const main = document.createElement("div");
  const name = document.createElement("strong");
  name.className = "passkey-name";
  name.textContent = p.name;
  main.append(name);
  if (p.backedUp) {
    const badge = document.createElement("span");
    badge.className = "badge synced";
    badge.textContent = t("passkeys.synced");
    badge.title = t("passkeys.syncedTitle");
    main.append(badge);
  }
  const meta = document.createElement("span");
  meta.className = "hint";
  meta.textContent = t("passkeys.meta", {
    provider: p.provider || t("passkeys.unknownProvider"),
    device: t("device." + (["platform", "security_key", "hybrid"].includes(p.deviceType) ? p.deviceType : "unknown")),
    created: when(p.createdAt),
    used: when(p.lastUsedAt),
  });
  main.append(document.createElement("br"), meta);
  const actions = document.createElement("div");
  actions.className = "actions";
  const del = button(t("passkeys.delete"), "delete danger", () => deletePasskey(p, del));
  actions.append(button(t("passkeys.rename"), "rename", () => startRename(li, p)), del);
  li.append(main, actions);
  return li;
}

function startRename(li, p) {
  const form = document.createElement("form");
  form.className = "rename-form";
  const input = document.createElement("input");
  input.id = "rename-" + p.id.slice(0, 16).replace(/[^A-Za-z0-9_-]/g, "");
  input.value = p.name;
  input.maxLength = 64;
  input.setAttribute("aria-label", t("passkeys.newName"));
  const err = document.createElement("p");
  err.className = "field-error";
  err.id = input.id + "-error";
  err.hidden = true;
  const save = document.createElement("button");
  save.type = "submit";
  save.className = "primary";
  save.textContent = t("passkeys.save");
  form.append(input, save, button(t("passkeys.cancel"), "", () => renderPasskeys()), err);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    try {
      await api.renamePasskey(p.id, input.value);
      await renderPasskeys();
    } catch (error) {
      showError(error, input.id);
    }
  });
  li.replaceChildren(form);
  input.focus();
}

async function deletePasskey(p, btn) {
  showError(null);
  if (!window.confirm(t("passkeys.confirmDelete", { name: p.name }))) return;
  busy(btn, true);
  try {
    await sensitive(() => api.deletePasskey(p.id));
    notice("passkeys.deleted", { name: p.name });
    await renderPasskeys();
  } catch (err) {
    showError(err);
  } finally {
    busy(btn, false);
  }
}

async function renderSessions() {
  const list = await api.listSessions();
  $("session-list").replaceChildren(...list.map(sessionItem));
  $("revoke-others-button").hidden = list.length < 2;
}

function sessionItem(s) {
  const li = document.createElement("li");
  li.className = "session item";
  li.dataset.id = s.id;
  const main = document.createElement("div");
  const agent = document.createElement("strong");
  agent.textContent = s.userAgent ? s.userAgent.slice(0, 80) : t("sessions.unknownAgent");
  main.append(agent);
  if (s.current) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = t("sessions.current");
    main.append(badge);
  }
  const meta = document.createElement("span");
  meta.className = "hint";
  meta.textContent = t("sessions.meta", { agent: "", ip: s.ip || "?", created: when(s.createdAt) }).replace(/^ · /, "");
  main.append(document.createElement("br"), meta);
  li.append(main);
  if (!s.current) {
    const b = button(t("sessions.revoke"), "revoke", async () => {
      busy(b, true);
      try {
        await api.revokeSession(s.id);
        notice("sessions.revoked");
        await renderSessions();
      } catch (err) {
        showError(err);
      } finally {
        busy(b, false);
      }
    });
    li.append(b);
  }
  return li;
}

// ---- Autofill ------------------------------------------------------------------------------

let autofillAbort = null;

function startAutofill() {
  if (autofillAbort || !api.isSupported()) return;
  autofillAbort = new AbortController();
  const signal = autofillAbort.signal;
  api
    .autofill({ signal })
    .then((res) => {
      if (res) {
        autofillAbort = null;
        notice(null);
        return render().then(continueToApp);
      }
    })
    .catch((err) => {
      autofillAbort = null;
      if (!signal.aborted) showError(err, "signin-username");
    });
}

function stopAutofill() {
  if (autofillAbort) {
    autofillAbort.abort();
    autofillAbort = null;
  }
}

// ---- Panels: recovery codes, naming a passkey ----------------------------------------------

let shownCodes = [];

function showCodes(codes) {
  if (!codes || !codes.length) return;
  shownCodes = codes;
  $("codes-list").replaceChildren(
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
  shownCodes = [];
  $("codes-list").replaceChildren();
  $("codes-panel").hidden = true;
  continueToApp();
});

on("codes-copy-button", "click", async () => {
  await navigator.clipboard.writeText(shownCodes.join("\n"));
  notice("codes.copied");
});

on("codes-download-button", "click", async () => {
  const blob = new Blob([t("codes.file") + " (" + location.host + ")\n\n" + shownCodes.join("\n") + "\n"], { type: "text/plain" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "passkeyd-recovery-codes.txt";
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});

// askName offers to name a passkey just created, suggesting its provider's name (known
// once the server has read the authenticator's AAGUID).
let naming = null;

function askName(passkey) {
  naming = passkey;
  $("name-input").value = passkey.provider || passkey.name;
  $("name-panel").hidden = false;
  $("name-input").focus();
}

on(
  "name-panel",
  "submit",
  async () => {
    const p = naming;
    if (p && $("name-input").value.trim() !== p.name) await api.renamePasskey(p.id, $("name-input").value);
    naming = null;
    $("name-panel").hidden = true;
    if (!$("signed-in").hidden) await renderPasskeys();
    continueToApp();
  },
  () => "name-input",
);

on("name-skip-button", "click", async () => {
  naming = null;
  $("name-panel").hidden = true;
  continueToApp();
});

async function created(res) {
  await render();
  if (res.passkey) askName(res.passkey);
  showCodes(res.recoveryCodes);
  continueToApp();
}

// ---- Signed out: identifier-first sign-in -------------------------------------------------

let pendingUsername = "";

function showStep(step) {
  $("signin-form").hidden = step !== "identifier";
  $("password-form").hidden = step !== "password";
  $("mfa-form").hidden = step !== "mfa";
}

on(
  "signin-form",
  "submit",
  async () => {
    const username = $("signin-username").value.trim();
    if (!username) return signInWithPasskey({});
    const methods = await api.loginMethods(username);
    if (methods.includes("password")) {
      pendingUsername = username;
      $("password-for").textContent = t("password.for", { username });
      $("password-username").value = username;
      $("password-passkey-button").hidden = !api.isSupported() || !methods.includes("passkey");
      showStep("password");
      $("password-password").focus();
      return;
    }
    await signInWithPasskey({ username });
  },
  () => "signin-username",
);

async function signInWithPasskey(o) {
  stopAutofill();
  await api.signIn(o);
  $("signin-form").reset();
  showStep("identifier");
  await render();
  continueToApp();
}

on("signin-button", "click", () => signInWithPasskey(usernameOrNothing()), () => "signin-username");
on("securitykey-button", "click", () => signInWithPasskey({ ...usernameOrNothing(), securityKey: true }), () => "signin-username");

function usernameOrNothing() {
  const username = $("signin-username").value.trim();
  return username ? { username } : {};
}

on("password-passkey-button", "click", () => signInWithPasskey({ username: pendingUsername }), () => "password-password");
on("password-back-button", "click", async () => {
  pendingUsername = "";
  $("password-form").reset();
  showStep("identifier");
  $("signin-username").focus();
});

let mfa = null; // {token, methods}

on(
  "password-form",
  "submit",
  async () => {
    stopAutofill();
    let res;
    try {
      res = await api.passwordLogin(pendingUsername, $("password-password").value);
    } catch (err) {
      if (err.code !== "mfa_required") throw err;
      // The password was right; ask for the second factor.
      mfa = { token: err.mfaToken, methods: err.methods || [] };
      $("password-form").reset();
      $("mfa-passkey-button").hidden = !mfa.methods.includes("passkey") || !api.isSupported();
      showStep("mfa");
      $("mfa-code").focus();
      return;
    }
    $("password-form").reset();
    showStep("identifier");
    await render();
    // The upgrade nudge: a password account without a passkey is offered one at once.
    if (res.suggestPasskey && api.isSupported()) {
      $("upgrade-panel").hidden = false;
      $("upgrade-button").focus();
    }
    continueToApp();
  },
  () => "password-password",
);

// A wrong code keeps the step (and what was typed) so the user can correct it; a spent
// token (unauthenticated) starts the sign-in over.
function mfaFailed(err) {
  if (err instanceof PasskeydError && (err.code === "unauthenticated" || err.code === "challenge_unknown")) {
    mfa = null;
    showStep("password");
    return "password-password";
  }
  return "mfa-code";
}

on(
  "mfa-form",
  "submit",
  async () => {
    await api.verifySecondFactor(mfa.token, $("mfa-code").value.trim());
    mfa = null;
    $("mfa-form").reset();
    showStep("identifier");
    await render();
    continueToApp();
  },
  mfaFailed,
);

on(
  "mfa-passkey-button",
  "click",
  async () => {
    await api.verifySecondFactorWithPasskey(mfa.token);
    mfa = null;
    $("mfa-form").reset();
    showStep("identifier");
    await render();
    continueToApp();
  },
  mfaFailed,
);

on("mfa-cancel-button", "click", async () => {
  mfa = null;
  $("mfa-form").reset();
  showStep("identifier");
  startAutofill();
});

on(
  "recovery-form",
  "submit",
  async () => {
    stopAutofill();
    await api.recoveryLogin($("recovery-username").value.trim(), $("recovery-code").value.trim());
    $("recovery-form").reset();
    await render();
    notice("notice.recovered");
    $("add-passkey-button").focus();
  },
  () => "recovery-code",
);

on(
  "signup-form",
  "submit",
  async () => {
    stopAutofill();
    const res = await api.signUp($("signup-username").value.trim(), $("signup-displayname").value.trim());
    $("signup-form").reset();
    await created(res);
  },
  (err) => (err.code === "username_taken" || err.code === "invalid_request" ? "signup-username" : null),
);

// ---- Signed in: the account page ----------------------------------------------------------

on("signout-button", "click", async () => {
  $("upgrade-panel").hidden = true;
  await api.signOut();
  await render();
});

on("add-passkey-button", "click", async () => {
  const res = await sensitive(() => api.addPasskey());
  notice("passkeys.added", { name: res.passkey.name });
  await created(res);
});

on("add-securitykey-button", "click", async () => {
  const res = await sensitive(() => api.addPasskey({ attachment: "cross-platform", hints: ["security-key"] }));
  notice("passkeys.added", { name: res.passkey.name });
  await created(res);
});

on("upgrade-button", "click", async () => {
  const res = await sensitive(() => api.addPasskey());
  $("upgrade-panel").hidden = true;
  await created(res);
});

on("upgrade-later-button", "click", async () => {
  $("upgrade-panel").hidden = true;
  continueToApp();
});

on("revoke-others-button", "click", async () => {
  await api.revokeOtherSessions();
  notice("sessions.revokedOthers");
  await renderSessions();
});

on("password-set-button", "click", async () => {
  $("password-change-form").hidden = false;
  ($("password-current-field").hidden ? $("password-new") : $("password-current")).focus();
});

on("password-cancel-button", "click", async () => {
  $("password-change-form").reset();
  $("password-change-form").hidden = true;
});

on(
  "password-change-form",
  "submit",
  async () => {
    const current = $("password-current").value;
    const next = $("password-new").value;
    await sensitive(() => api.changePassword(next, current || undefined));
    $("password-change-form").reset();
    $("password-change-form").hidden = true;
    notice("passwordCard.saved");
    await render();
  },
  (err) => (err.code === "invalid_credentials" && !$("password-current-field").hidden ? "password-current" : err.code === "invalid_request" ? "password-new" : null),
);

on("password-remove-button", "click", async () => {
  if (!window.confirm(t("passwordCard.confirmRemove"))) return;
  await sensitive(() => api.removePassword());
  notice("passwordCard.removed");
  await render();
});

on("totp-setup-button", "click", async () => {
  const e = await sensitive(() => api.beginTOTP());
  $("totp-qr").src = e.qrCode || "";
  $("totp-secret").textContent = e.secret;
  $("totp-form").hidden = false;
  $("totp-setup-button").hidden = true;
  $("totp-code").focus();
});

on("totp-cancel-button", "click", async () => {
  $("totp-form").reset();
  $("totp-form").hidden = true;
  renderFactors();
});

on(
  "totp-form",
  "submit",
  async () => {
    const code = $("totp-code").value.replace(/\s/g, "");
    const res = await sensitive(() => api.confirmTOTP(code));
    $("totp-form").reset();
    $("totp-form").hidden = true;
    notice("totp.enabled");
    await render();
    showCodes(res.recoveryCodes);
  },
  () => "totp-code",
);

on("totp-remove-button", "click", async () => {
  if (!window.confirm(t("totp.confirmRemove"))) return;
  await sensitive(() => api.removeTOTP());
  notice("totp.removed");
  await render();
});

on("regenerate-codes-button", "click", async () => {
  if (!window.confirm(t("recoveryCard.confirm"))) return;
  showCodes(await sensitive(() => api.regenerateRecoveryCodes()));
});

on("delete-account-button", "click", async () => {
  if (!window.confirm(t("delete.confirm"))) return;
  await sensitive(() => api.deleteAccount());
  await render();
  notice("delete.done");
});

// ---- Start ----------------------------------------------------------------------------------

chooseLanguage();
langSelect.value = language();
applyLanguage();
// Without WebAuthn only the controls that need it are hidden: passwords, the second factor
// and recovery codes still work.
if (!api.isSupported()) {
  $("unsupported").hidden = false;
  for (const b of document.querySelectorAll("button.webauthn")) b.hidden = true;
}
render().then(continueToApp).catch((err) => showError(err));
