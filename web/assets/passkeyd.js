// passkeyd browser SDK: the ceremony calls of the passkeyd HTTP API, as an ES module with no
// dependencies and no build step.
//
//   import { Passkeyd } from "/assets/passkeyd.js";
//   const pk = new Passkeyd();
//   await pk.signUp("alice");           // create an account with a passkey
//   await pk.signIn();                  // usernameless sign-in
//   pk.autofill(abortSignal);           // conditional UI on an autocomplete="username webauthn" input

/** An error from the API (problem+json) or from the browser's WebAuthn call. */
export class PasskeydError extends Error {
  constructor(code, detail, status = 0) {
    super(detail || code);
    this.name = "PasskeydError";
    this.code = code;
    this.detail = detail;
    this.status = status;
  }
}

const b64url = {
  encode(buf) {
    const bytes = new Uint8Array(buf);
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
  decode(str) {
    const s = str.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(s + "===".slice((s.length + 3) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  },
};

// Fallbacks for browsers without the WebAuthn Level 3 JSON helpers.
function parseCreation(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  return {
    ...json,
    challenge: b64url.decode(json.challenge),
    user: { ...json.user, id: b64url.decode(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: b64url.decode(c.id) })),
  };
}

function parseRequest(json) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  return {
    ...json,
    challenge: b64url.decode(json.challenge),
    allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: b64url.decode(c.id) })),
  };
}

function toJSON(cred) {
  if (typeof cred.toJSON === "function") return cred.toJSON();
  const r = cred.response;
  const response = { clientDataJSON: b64url.encode(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = b64url.encode(r.attestationObject);
    if (r.getTransports) response.transports = r.getTransports();
    if (r.getAuthenticatorData) response.authenticatorData = b64url.encode(r.getAuthenticatorData());
    if (r.getPublicKeyAlgorithm) response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
  } else {
    response.authenticatorData = b64url.encode(r.authenticatorData);
    response.signature = b64url.encode(r.signature);
    if (r.userHandle) response.userHandle = b64url.encode(r.userHandle);
  }
  return {
    id: cred.id,
    rawId: b64url.encode(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    response,
    clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
  };
}

// Translate the browser's DOMExceptions into errors a page can explain.
function browserError(err) {
  switch (err && err.name) {
    case "NotAllowedError":
      return new PasskeydError("cancelled", "The request was cancelled or timed out.");
    case "InvalidStateError":
      return new PasskeydError("already_registered", "This authenticator already holds a passkey for this account.");
    case "AbortError":
      return new PasskeydError("aborted", "The request was aborted.");
    case "SecurityError":
      return new PasskeydError("security", "The browser refused the request for this site (check the RP ID and origin).");
    case "NotSupportedError":
      return new PasskeydError("unsupported", "No authenticator supports what the server asked for.");
  }
  return new PasskeydError("browser", (err && err.message) || String(err));
}

export class Passkeyd {
  /** @param {{baseURL?: string, fetch?: typeof fetch}} [opts] */
  constructor({ baseURL = "", fetch: f } = {}) {
    this.baseURL = baseURL;
    this.fetch = f || window.fetch.bind(window);
    this.pending = null; // the AbortController of a pending conditional request
  }

  /** Whether this browser can use passkeys at all. */
  static supported() {
    return typeof window !== "undefined" && !!window.PublicKeyCredential && !!navigator.credentials;
  }

  /** Whether conditional UI (passkeys in autofill) is available. */
  static async autofillAvailable() {
    return Passkeyd.supported() && !!PublicKeyCredential.isConditionalMediationAvailable && (await PublicKeyCredential.isConditionalMediationAvailable());
  }

  async request(method, path, body) {
    const init = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await this.fetch(this.baseURL + path, init);
    if (res.status === 204) return null;
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (!res.ok) {
      const err = new PasskeydError((data && data.code) || "http_" + res.status, (data && data.detail) || res.statusText, res.status);
      if (data && data.mfaToken) {
        err.mfaToken = data.mfaToken;
        err.methods = data.methods;
      }
      throw err;
    }
    return data;
  }

  // Only one WebAuthn request may be pending: a modal one cancels a pending autofill.
  abortPending() {
    if (this.pending) {
      this.pending.abort();
      this.pending = null;
    }
  }

  async create(options) {
    this.abortPending();
    let cred;
    try {
      cred = await navigator.credentials.create({ publicKey: parseCreation(options.publicKey) });
    } catch (err) {
      throw browserError(err);
    }
    return toJSON(cred);
  }

  async get(options, mediation, signal) {
    let cred;
    try {
      cred = await navigator.credentials.get({ publicKey: parseRequest(options.publicKey), mediation, signal });
    } catch (err) {
      throw browserError(err);
    }
    return toJSON(cred);
  }

  /** Create an account with a passkey. Resolves with {user, passkey, session, recoveryCodes?}. */
  async signUp(username, displayName, { attachment } = {}) {
    const body = { username };
    if (displayName) body.displayName = displayName;
    if (attachment) body.authenticatorAttachment = attachment;
    const options = await this.request("POST", "/api/v1/registration/options", body);
    const credential = await this.create(options);
    return this.request("POST", "/api/v1/registration/verify", { credential });
  }

  /** Add a passkey to the signed-in account. Resolves with {user, passkey}. */
  async addPasskey({ name, attachment } = {}) {
    const body = {};
    if (attachment) body.authenticatorAttachment = attachment;
    const options = await this.request("POST", "/api/v1/registration/options", body);
    const credential = await this.create(options);
    const verify = { credential };
    if (name) verify.name = name;
    return this.request("POST", "/api/v1/registration/verify", verify);
  }

  /** Sign in with a passkey; usernameless unless a username is given. */
  async signIn({ username } = {}) {
    this.abortPending();
    const options = await this.request("POST", "/api/v1/authentication/options", username ? { username } : {});
    const credential = await this.get(options, "optional");
    return this.request("POST", "/api/v1/authentication/verify", { credential });
  }

  /**
   * Offer passkeys in the browser's autofill (conditional UI). Resolves with the sign-in
   * result when the user picks one, or null when autofill is unavailable or was aborted.
   */
  async autofill(signal) {
    if (!(await Passkeyd.autofillAvailable())) return null;
    this.abortPending();
    const controller = new AbortController();
    this.pending = controller;
    if (signal) signal.addEventListener("abort", () => controller.abort(), { once: true });
    try {
      const options = await this.request("POST", "/api/v1/authentication/options", {});
      const credential = await this.get(options, "conditional", controller.signal);
      return await this.request("POST", "/api/v1/authentication/verify", { credential });
    } catch (err) {
      if (controller.signal.aborted) return null;
      throw err;
    } finally {
      if (this.pending === controller) this.pending = null;
    }
  }

  /** Sign in with a password (fallback). Resolves with {user, session, suggestPasskey}. */
  passwordLogin(username, password) {
    this.abortPending();
    return this.request("POST", "/api/v1/password/login", { username, password });
  }

  /** Create a password account (fallback). Resolves with {user, session, suggestPasskey}. */
  passwordSignUp(username, password, displayName) {
    const body = { username, password };
    if (displayName) body.displayName = displayName;
    return this.request("POST", "/api/v1/password/signup", body);
  }

  /** Set or change the signed-in user's password. */
  changePassword(newPassword, currentPassword) {
    const body = { newPassword };
    if (currentPassword) body.currentPassword = currentPassword;
    return this.request("PUT", "/api/v1/password", body);
  }

  /** Start TOTP enrolment: resolves with {secret, uri, qrCode}. */
  beginTOTP() {
    return this.request("POST", "/api/v1/totp", {});
  }

  /** Confirm TOTP enrolment with a code; resolves with {recoveryCodes?}. */
  confirmTOTP(code) {
    return this.request("POST", "/api/v1/totp/confirm", { code });
  }

  removeTOTP() {
    return this.request("DELETE", "/api/v1/totp");
  }

  /** Finish a password sign-in that answered mfa_required (err.mfaToken) with a code. */
  verifySecondFactor(mfaToken, code) {
    return this.request("POST", "/api/v1/mfa/verify", { mfaToken, code });
  }

  /** Sign in with a recovery code (which is then used up). Resolves with {user, session}. */
  recoveryLogin(username, code) {
    this.abortPending();
    return this.request("POST", "/api/v1/recovery/login", { username, code });
  }

  /** Replace the signed-in user's recovery codes; resolves with the new codes (shown once). */
  async regenerateRecoveryCodes() {
    return (await this.request("POST", "/api/v1/recovery-codes", {})).recoveryCodes;
  }

  /** The current session, or null when signed out. */
  async session() {
    try {
      return await this.request("GET", "/api/v1/session");
    } catch (err) {
      if (err.status === 401) return null;
      throw err;
    }
  }

  signOut() {
    return this.request("DELETE", "/api/v1/session");
  }

  async listPasskeys() {
    return (await this.request("GET", "/api/v1/passkeys")).passkeys;
  }

  renamePasskey(id, name) {
    return this.request("PATCH", "/api/v1/passkeys/" + encodeURIComponent(id), { name });
  }

  deletePasskey(id) {
    return this.request("DELETE", "/api/v1/passkeys/" + encodeURIComponent(id));
  }

  /**
   * Make the session recent again with one of the user's passkeys (user verification
   * required), for changes that answer reauthentication_required. Resolves with {session}.
   */
  async reauthenticate() {
    this.abortPending();
    const options = await this.request("POST", "/api/v1/session/reauth/options", {});
    const credential = await this.get(options);
    return this.request("POST", "/api/v1/session/reauth", { credential });
  }

  /** Make the session recent again with the password (and TOTP code, when the account has one). */
  reauthenticateWithPassword(password, code) {
    const body = { password };
    if (code) body.code = code;
    return this.request("POST", "/api/v1/session/reauth", body);
  }

  /** The user's live sessions, newest first ({id, current, userAgent, ip, …}). */
  async listSessions() {
    return (await this.request("GET", "/api/v1/sessions")).sessions;
  }

  revokeSession(id) {
    return this.request("DELETE", "/api/v1/sessions/" + encodeURIComponent(id));
  }

  /** Sign out every other session of the user. */
  revokeOtherSessions() {
    return this.request("DELETE", "/api/v1/sessions");
  }

  /** Stop using a password (needs a recent sign-in and another way in). */
  removePassword() {
    return this.request("DELETE", "/api/v1/password");
  }

  /** Delete the account and everything of it (needs a recent sign-in). */
  deleteAccount() {
    return this.request("DELETE", "/api/v1/account");
  }
}
