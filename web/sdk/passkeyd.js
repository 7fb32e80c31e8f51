// @passkeyd/browser: the passkeyd HTTP API's ceremonies and account calls for browsers, as one
// ES module with no dependencies and no build step. passkeyd also serves this file at
// /assets/passkeyd.js.
//
//   import { Passkeyd } from "@passkeyd/browser";
//   const pk = new Passkeyd();                       // same origin, session cookie
//   const app = new Passkeyd({ baseURL: "https://id.example.com", auth: "bearer" });
//   await pk.signUp("alice");                        // a new account with a passkey
//   await pk.signIn();                               // usernameless sign-in
//   await pk.autofill({ signal });                   // passkeys in <input autocomplete="username webauthn">
//
// Nothing here touches window, navigator or fetch until a method needs them, so importing
// and constructing are safe during server-side rendering.

/**
 * The stable error codes of PasskeydError.code: every code of the API contract, and the
 * SDK's own for what the browser or the network reports.
 */
export const ERROR_CODES = Object.freeze([
  // The contract's problem codes.
  "invalid_request", "challenge_unknown", "origin_mismatch", "rp_id_mismatch", "ceremony_type_mismatch",
  "user_presence_required", "user_verification_required", "algorithm_not_allowed", "attestation_invalid",
  "credential_exists", "credential_unknown", "user_handle_mismatch", "flags_invalid", "signature_invalid",
  "counter_regression", "unauthenticated", "invalid_credentials", "mfa_required", "forbidden_origin",
  "reauthentication_required", "not_found", "username_taken", "last_credential", "payload_too_large",
  "unsupported_media_type", "rate_limited", "account_locked", "unavailable", "internal",
  // The browser's WebAuthn DOMExceptions.
  "cancelled", "aborted", "already_registered", "invalid_state", "security", "unsupported", "constraint",
  "authenticator", "invalid_options",
  // The SDK and transport.
  "network", "http_error", "unknown",
]);

const contractCodes = new Set(ERROR_CODES.slice(0, ERROR_CODES.indexOf("cancelled")));

/**
 * Default English texts of the SDK's own error codes, for logs and developers; pages
 * translate the codes.
 * @type {Readonly<Record<string, string>>}
 */
export const ERROR_MESSAGES = Object.freeze({
  cancelled: "The request was cancelled or timed out.",
  aborted: "The request was aborted.",
  already_registered: "This authenticator already holds a passkey for this account.",
  invalid_state: "The authenticator is in a state that does not allow this request.",
  security: "The browser refused the request for this site (check the RP ID and origin).",
  unsupported: "This browser or authenticator does not support what was asked.",
  constraint: "The authenticator cannot meet the request's requirements (user verification, resident key).",
  authenticator: "The authenticator failed.",
  invalid_options: "The ceremony options are invalid.",
  network: "The server could not be reached.",
  http_error: "The server answered with an unexpected error.",
  unknown: "Something went wrong.",
});

/** An error from the API (problem+json), the browser's WebAuthn call or the network. */
export class PasskeydError extends Error {
  /**
   * @param {string} code one of ERROR_CODES
   * @param {string} [detail]
   * @param {{status?: number, cause?: unknown, problem?: any, serverCode?: string}} [extra]
   */
  constructor(code, detail, extra = {}) {
    super(detail || ERROR_MESSAGES[code] || code, { cause: extra.cause });
    this.name = "PasskeydError";
    this.code = code;
    this.detail = detail || "";
    this.status = extra.status || 0;
    this.problem = extra.problem || null;
    this.serverCode = extra.serverCode || "";
    /** @type {string | undefined} */ this.mfaToken = undefined;
    /** @type {string[] | undefined} */ this.methods = undefined;
    /** @type {number | undefined} */ this.retryAfter = undefined;
  }
}

// The DOMException names of WebAuthn (§5.1.3, §5.1.4) and what a page can tell the user.
/** @type {Record<string, string>} */
const domCodes = {
  NotAllowedError: "cancelled",
  AbortError: "aborted",
  InvalidStateError: "invalid_state",
  SecurityError: "security",
  NotSupportedError: "unsupported",
  ConstraintError: "constraint",
  UnknownError: "authenticator",
  TypeError: "invalid_options",
};

/**
 * browserError turns what navigator.credentials threw into a PasskeydError.
 * @param {any} err
 * @param {"create" | "get"} op
 */
export function browserError(err, op) {
  if (err instanceof PasskeydError) return err;
  const name = (err && err.name) || "";
  let code = domCodes[name] || "unknown";
  // On create, InvalidStateError means excludeCredentials matched (§6.3.2 step 3).
  if (code === "invalid_state" && op === "create") code = "already_registered";
  return new PasskeydError(code, ERROR_MESSAGES[code], { cause: err });
}

export const b64url = {
  /** @param {ArrayBuffer | ArrayBufferView} buf */
  encode(buf) {
    const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
  /** @param {string} str */
  decode(str) {
    const s = str.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(s + "===".slice((s.length + 3) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  },
};

/** @param {any[] | undefined} list */
const decodeDescriptors = (list) => (list || []).map((c) => ({ ...c, id: b64url.decode(c.id) }));

/**
 * parseCreationOptions is PublicKeyCredential.parseCreationOptionsFromJSON where the browser
 * has it (WebAuthn L3), and the same decoding by hand where it does not.
 * @param {any} json PublicKeyCredentialCreationOptionsJSON
 * @param {any} [PKC] the PublicKeyCredential interface
 */
export function parseCreationOptions(json, PKC) {
  if (PKC && typeof PKC.parseCreationOptionsFromJSON === "function") return PKC.parseCreationOptionsFromJSON(json);
  return {
    ...json,
    challenge: b64url.decode(json.challenge),
    user: { ...json.user, id: b64url.decode(json.user.id) },
    excludeCredentials: decodeDescriptors(json.excludeCredentials),
  };
}

/**
 * parseRequestOptions is parseRequestOptionsFromJSON, or the same by hand.
 * @param {any} json PublicKeyCredentialRequestOptionsJSON
 * @param {any} [PKC]
 */
export function parseRequestOptions(json, PKC) {
  if (PKC && typeof PKC.parseRequestOptionsFromJSON === "function") return PKC.parseRequestOptionsFromJSON(json);
  return { ...json, challenge: b64url.decode(json.challenge), allowCredentials: decodeDescriptors(json.allowCredentials) };
}

/**
 * credentialToJSON is credential.toJSON() (WebAuthn L3), or RegistrationResponseJSON /
 * AuthenticationResponseJSON built by hand for browsers without it.
 * @param {any} cred a PublicKeyCredential
 */
export function credentialToJSON(cred) {
  if (typeof cred.toJSON === "function") return cred.toJSON();
  const r = cred.response;
  /** @type {Record<string, any>} */
  const response = { clientDataJSON: b64url.encode(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = b64url.encode(r.attestationObject);
    if (typeof r.getTransports === "function") response.transports = r.getTransports();
    if (typeof r.getAuthenticatorData === "function") response.authenticatorData = b64url.encode(r.getAuthenticatorData());
    if (typeof r.getPublicKeyAlgorithm === "function") response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
    const pub = typeof r.getPublicKey === "function" ? r.getPublicKey() : null;
    if (pub) response.publicKey = b64url.encode(pub);
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
    clientExtensionResults: typeof cred.getClientExtensionResults === "function" ? cred.getClientExtensionResults() : {},
  };
}

// The capabilities getClientCapabilities reports (WebAuthn L3 §5.1.7), all false by default.
const capabilityNames = [
  "conditionalCreate", "conditionalGet", "hybridTransport", "passkeyPlatformAuthenticator",
  "userVerifyingPlatformAuthenticator", "relatedOrigins", "signalAllAcceptedCredentials",
  "signalCurrentUserDetails", "signalUnknownCredential",
];

/** @param {unknown} v */
const isSignal = (v) => typeof AbortSignal !== "undefined" && v instanceof AbortSignal;

export class Passkeyd {
  /**
   * @param {{baseURL?: string, fetch?: typeof fetch, auth?: "cookie" | "bearer", credentials?: RequestCredentials,
   *   token?: string | null, onToken?: (token: string | null) => void, signals?: boolean,
   *   webauthn?: {credentials?: any, PublicKeyCredential?: any}}} [opts]
   */
  constructor(opts = {}) {
    this.baseURL = (opts.baseURL || "").replace(/\/+$/, "");
    this.auth = opts.auth === "bearer" ? "bearer" : "cookie";
    if (opts.auth && opts.auth !== "cookie" && opts.auth !== "bearer") throw new TypeError('auth must be "cookie" or "bearer"');
    // Bearer mode never sends cookies: a cross-site app's requests must not ride on an
    // ambient session (the server answers CORS without credentials).
    this.credentials = this.auth === "bearer" ? "omit" : opts.credentials || "same-origin";
    this.token = opts.token || null;
    this.onToken = opts.onToken || null;
    this.signals = opts.signals !== false;
    this._fetch = opts.fetch || null;
    this._webauthn = opts.webauthn || {};
    /** @type {AbortController | null} the pending conditional (autofill) request */
    this.pending = null;
    /** @type {{rpId: string, userHandle: string} | null} learnt from the passkey list */
    this.account = null;
  }

  /** The PublicKeyCredential interface, or null when this environment has none. */
  webauthnInterface() {
    return this._webauthn.PublicKeyCredential || globalThis.PublicKeyCredential || null;
  }

  credentialsContainer() {
    return this._webauthn.credentials || (globalThis.navigator && globalThis.navigator.credentials) || null;
  }

  /** Whether this environment can run WebAuthn ceremonies at all. */
  isSupported() {
    return !!this.webauthnInterface() && !!this.credentialsContainer();
  }

  /** Whether this browser can use passkeys at all. */
  static supported() {
    return new Passkeyd().isSupported();
  }

  /** Whether conditional UI (passkeys in autofill) is available. */
  static async autofillAvailable() {
    return (await new Passkeyd().capabilities()).conditionalGet;
  }

  /**
   * What this browser can do: PublicKeyCredential.getClientCapabilities() where it exists,
   * and the individual checks where it does not (or where it omits a key).
   * @returns {Promise<Record<string, boolean>>}
   */
  async capabilities() {
    /** @type {Record<string, boolean>} */
    const caps = { webauthn: this.isSupported() };
    for (const n of capabilityNames) caps[n] = false;
    const PKC = this.webauthnInterface();
    if (!caps.webauthn) return caps;
    let reported = {};
    if (typeof PKC.getClientCapabilities === "function") {
      try {
        reported = (await PKC.getClientCapabilities()) || {};
      } catch {
        reported = {};
      }
    }
    const ask = async (/** @type {string} */ fn) => {
      try {
        return typeof PKC[fn] === "function" && (await PKC[fn]()) === true;
      } catch {
        return false;
      }
    };
    for (const [k, v] of Object.entries(reported)) caps[k] = v === true;
    if (!("conditionalGet" in reported)) caps.conditionalGet = await ask("isConditionalMediationAvailable");
    if (!("userVerifyingPlatformAuthenticator" in reported)) caps.userVerifyingPlatformAuthenticator = await ask("isUserVerifyingPlatformAuthenticatorAvailable");
    if (!("passkeyPlatformAuthenticator" in reported)) caps.passkeyPlatformAuthenticator = caps.userVerifyingPlatformAuthenticator;
    // A signal is usable only if the method is there, whatever the report says.
    for (const s of ["signalAllAcceptedCredentials", "signalCurrentUserDetails", "signalUnknownCredential"]) caps[s] = typeof PKC[s] === "function";
    return caps;
  }

  /**
   * request calls the API and returns its JSON, or throws PasskeydError.
   * @param {string} method
   * @param {string} path
   * @param {any} [body]
   * @param {AbortSignal} [signal]
   */
  async request(method, path, body, signal) {
    /** @type {Record<string, string>} */
    const headers = { Accept: "application/json" };
    /** @type {RequestInit} */
    const init = { method, credentials: this.credentials, headers, signal };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (this.auth === "bearer" && this.token) headers.Authorization = "Bearer " + this.token;
    const f = this._fetch || globalThis.fetch;
    if (typeof f !== "function") throw new PasskeydError("network", "no fetch in this environment");
    let res;
    try {
      res = await f(this.baseURL + path, init);
    } catch (err) {
      if (signal && signal.aborted) throw new PasskeydError("aborted", ERROR_MESSAGES.aborted, { cause: err });
      throw new PasskeydError("network", ERROR_MESSAGES.network, { cause: err });
    }
    if (res.status === 204) return null;
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (!res.ok) throw this.apiError(res, data);
    if (data && data.session && typeof data.session.token === "string") this.setToken(data.session.token);
    return data;
  }

  /**
   * @param {Response} res
   * @param {any} data
   */
  apiError(res, data) {
    const serverCode = (data && typeof data.code === "string" && data.code) || "";
    const code = contractCodes.has(serverCode) ? serverCode : res.status >= 400 ? "http_error" : "unknown";
    const err = new PasskeydError(code, (data && data.detail) || res.statusText || "", { status: res.status, problem: data, serverCode });
    if (data && data.mfaToken) {
      err.mfaToken = data.mfaToken;
      err.methods = data.methods;
    }
    const retry = Number(res.headers && res.headers.get("Retry-After"));
    if (retry > 0) err.retryAfter = retry;
    // A Bearer token the server no longer takes is useless: forget it.
    if (code === "unauthenticated" && this.auth === "bearer" && this.token) this.setToken(null);
    return err;
  }

  /** @param {string | null} token */
  setToken(token) {
    if (this.auth !== "bearer" || token === this.token) return;
    this.token = token;
    if (this.onToken) this.onToken(token);
  }

  // Only one WebAuthn request may be pending: a modal one cancels a pending autofill.
  abortPending() {
    if (this.pending) {
      this.pending.abort();
      this.pending = null;
    }
  }

  /**
   * create runs navigator.credentials.create with the server's options.
   * @param {any} options {publicKey: PublicKeyCredentialCreationOptionsJSON}
   * @param {{signal?: AbortSignal, hints?: string[]}} [o]
   */
  async create(options, o = {}) {
    this.abortPending();
    const container = this.credentialsContainer();
    if (!container || !this.webauthnInterface()) throw new PasskeydError("unsupported", ERROR_MESSAGES.unsupported);
    const json = o.hints ? { ...options.publicKey, hints: o.hints } : options.publicKey;
    let cred;
    try {
      cred = await container.create({ publicKey: parseCreationOptions(json, this.webauthnInterface()), signal: o.signal });
    } catch (err) {
      throw browserError(err, "create");
    }
    return credentialToJSON(cred);
  }

  /**
   * get runs navigator.credentials.get with the server's options.
   * @param {any} options {publicKey: PublicKeyCredentialRequestOptionsJSON}
   * @param {{signal?: AbortSignal, hints?: string[], mediation?: CredentialMediationRequirement}} [o]
   */
  async get(options, o = {}) {
    const container = this.credentialsContainer();
    if (!container || !this.webauthnInterface()) throw new PasskeydError("unsupported", ERROR_MESSAGES.unsupported);
    const json = o.hints ? { ...options.publicKey, hints: o.hints } : options.publicKey;
    let cred;
    try {
      cred = await container.get({ publicKey: parseRequestOptions(json, this.webauthnInterface()), mediation: o.mediation, signal: o.signal });
    } catch (err) {
      throw browserError(err, "get");
    }
    return credentialToJSON(cred);
  }

  /**
   * assert runs one assertion ceremony: options, the browser, verify. When the server does
   * not know the credential, the browser is told (Signal API), so that a passkey deleted
   * here stops being offered.
   * @param {string} optionsPath
   * @param {any} optionsBody
   * @param {string} verifyPath
   * @param {(credential: any) => any} verifyBody
   * @param {{signal?: AbortSignal, hints?: string[], mediation?: CredentialMediationRequirement}} o
   */
  async assert(optionsPath, optionsBody, verifyPath, verifyBody, o) {
    const options = await this.request("POST", optionsPath, optionsBody, o.signal);
    const credential = await this.get(options, o);
    try {
      return await this.request("POST", verifyPath, verifyBody(credential), o.signal);
    } catch (err) {
      if (err instanceof PasskeydError && err.code === "credential_unknown") {
        await this.signal("signalUnknownCredential", { rpId: options.publicKey.rpId || this.rpIdGuess(), credentialId: credential.id });
      }
      throw err;
    }
  }

  rpIdGuess() {
    return (this.account && this.account.rpId) || (globalThis.location && globalThis.location.hostname) || "";
  }

  /**
   * signal calls one of the Signal API's methods when the browser has it; it never fails
   * the operation it follows.
   * @param {"signalUnknownCredential" | "signalAllAcceptedCredentials" | "signalCurrentUserDetails"} name
   * @param {any} arg
   * @returns {Promise<boolean>} whether the browser was told
   */
  async signal(name, arg) {
    const PKC = this.webauthnInterface();
    if (!this.signals || !PKC || typeof PKC[name] !== "function") return false;
    try {
      await PKC[name](arg);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Create an account with a passkey. Resolves with {user, passkey, session, recoveryCodes?}.
   * @param {string} username
   * @param {string} [displayName]
   * @param {{attachment?: "platform" | "cross-platform", name?: string, hints?: string[], signal?: AbortSignal}} [o]
   */
  async signUp(username, displayName, o = {}) {
    /** @type {Record<string, string>} */
    const body = { username };
    if (displayName) body.displayName = displayName;
    if (o.attachment) body.authenticatorAttachment = o.attachment;
    const options = await this.request("POST", "/api/v1/registration/options", body, o.signal);
    const credential = await this.create(options, o);
    /** @type {Record<string, any>} */
    const verify = { credential };
    if (o.name) verify.name = o.name;
    return this.request("POST", "/api/v1/registration/verify", verify, o.signal);
  }

  /**
   * Add a passkey to the signed-in account. Resolves with {user, passkey}.
   * @param {{name?: string, attachment?: "platform" | "cross-platform", hints?: string[], signal?: AbortSignal}} [o]
   */
  async addPasskey(o = {}) {
    /** @type {Record<string, string>} */
    const body = {};
    if (o.attachment) body.authenticatorAttachment = o.attachment;
    const options = await this.request("POST", "/api/v1/registration/options", body, o.signal);
    const credential = await this.create(options, o);
    /** @type {Record<string, any>} */
    const verify = { credential };
    if (o.name) verify.name = o.name;
    return this.request("POST", "/api/v1/registration/verify", verify, o.signal);
  }

  /**
   * Sign in with a passkey; usernameless unless a username is given. securityKey asks the
   * browser to go straight to a security key (hints: ["security-key"]).
   * @param {{username?: string, securityKey?: boolean, hints?: string[], signal?: AbortSignal}} [o]
   */
  async signIn(o = {}) {
    this.abortPending();
    const hints = o.hints || (o.securityKey ? ["security-key"] : undefined);
    return this.assert("/api/v1/authentication/options", o.username ? { username: o.username } : {}, "/api/v1/authentication/verify",
      (credential) => ({ credential }), { signal: o.signal, hints, mediation: "optional" });
  }

  /**
   * Offer passkeys in the browser's autofill (conditional UI). Resolves with the sign-in
   * result when the user picks one, or null when autofill is unavailable or was aborted.
   * @param {AbortSignal | {signal?: AbortSignal}} [arg]
   */
  async autofill(arg) {
    const signal = isSignal(arg) ? /** @type {AbortSignal} */ (arg) : arg && /** @type {any} */ (arg).signal;
    if (!(await this.capabilities()).conditionalGet) return null;
    this.abortPending();
    const controller = new AbortController();
    this.pending = controller;
    if (signal) {
      if (signal.aborted) controller.abort();
      signal.addEventListener("abort", () => controller.abort(), { once: true });
    }
    try {
      return await this.assert("/api/v1/authentication/options", {}, "/api/v1/authentication/verify",
        (credential) => ({ credential }), { signal: controller.signal, mediation: "conditional" });
    } catch (err) {
      if (controller.signal.aborted) return null;
      throw err;
    } finally {
      if (this.pending === controller) this.pending = null;
    }
  }

  /**
   * Which sign-in methods to offer for a username (identifier-first sign-in).
   * @param {string} username
   * @param {{signal?: AbortSignal}} [o]
   * @returns {Promise<string[]>}
   */
  async loginMethods(username, o = {}) {
    return (await this.request("POST", "/api/v1/login/methods", { username }, o.signal)).methods;
  }

  /**
   * Sign in with a password (fallback). Resolves with {user, session, suggestPasskey}; throws
   * mfa_required with err.mfaToken and err.methods when a second factor is needed.
   * @param {string} username
   * @param {string} password
   * @param {{signal?: AbortSignal}} [o]
   */
  passwordLogin(username, password, o = {}) {
    this.abortPending();
    return this.request("POST", "/api/v1/password/login", { username, password }, o.signal);
  }

  /**
   * Create a password account (fallback). Resolves with {user, session, suggestPasskey}.
   * @param {string} username
   * @param {string} password
   * @param {string} [displayName]
   */
  passwordSignUp(username, password, displayName) {
    /** @type {Record<string, string>} */
    const body = { username, password };
    if (displayName) body.displayName = displayName;
    return this.request("POST", "/api/v1/password/signup", body);
  }

  /**
   * Set or change the signed-in user's password.
   * @param {string} newPassword
   * @param {string} [currentPassword]
   */
  changePassword(newPassword, currentPassword) {
    /** @type {Record<string, string>} */
    const body = { newPassword };
    if (currentPassword) body.currentPassword = currentPassword;
    return this.request("PUT", "/api/v1/password", body);
  }

  /** Start TOTP enrolment: resolves with {secret, uri, qrCode?}. */
  beginTOTP() {
    return this.request("POST", "/api/v1/totp", {});
  }

  /**
   * Confirm TOTP enrolment with a code; resolves with {recoveryCodes?}.
   * @param {string} code
   */
  confirmTOTP(code) {
    return this.request("POST", "/api/v1/totp/confirm", { code });
  }

  removeTOTP() {
    return this.request("DELETE", "/api/v1/totp");
  }

  /**
   * Finish a password sign-in that answered mfa_required (err.mfaToken) with a TOTP or
   * recovery code.
   * @param {string} mfaToken
   * @param {string} code
   */
  verifySecondFactor(mfaToken, code) {
    return this.request("POST", "/api/v1/mfa/verify", { mfaToken, code });
  }

  /**
   * Finish a password sign-in that answered mfa_required with a passkey as second factor.
   * @param {string} mfaToken
   * @param {{signal?: AbortSignal, hints?: string[]}} [o]
   */
  verifySecondFactorWithPasskey(mfaToken, o = {}) {
    this.abortPending();
    return this.assert("/api/v1/authentication/options", { mfaToken }, "/api/v1/mfa/verify",
      (credential) => ({ mfaToken, credential }), { signal: o.signal, hints: o.hints });
  }

  /**
   * Sign in with a recovery code (which is then used up). Resolves with {user, session}.
   * @param {string} username
   * @param {string} code
   */
  recoveryLogin(username, code) {
    this.abortPending();
    return this.request("POST", "/api/v1/recovery/login", { username, code });
  }

  /** Replace the signed-in user's recovery codes; resolves with the new codes (shown once). */
  async regenerateRecoveryCodes() {
    return (await this.request("POST", "/api/v1/recovery-codes", {})).recoveryCodes;
  }

  /** The current session ({user, session}), or null when signed out. */
  async session() {
    try {
      return await this.request("GET", "/api/v1/session");
    } catch (err) {
      if (err instanceof PasskeydError && err.status === 401) return null;
      throw err;
    }
  }

  async signOut() {
    try {
      await this.request("DELETE", "/api/v1/session");
    } finally {
      this.account = null;
      this.setToken(null);
    }
    return null;
  }

  /**
   * The user's passkeys, newest first. The browser's passkey provider is told which of
   * them still exist (signalAllAcceptedCredentials), so deleted ones leave its list.
   */
  async listPasskeys() {
    const res = await this.request("GET", "/api/v1/passkeys");
    if (res.rpId && res.userHandle) {
      this.account = { rpId: res.rpId, userHandle: res.userHandle };
      await this.signal("signalAllAcceptedCredentials", {
        rpId: res.rpId,
        userId: res.userHandle,
        allAcceptedCredentialIds: res.passkeys.map((/** @type {{id: string}} */ p) => p.id),
      });
    }
    return res.passkeys;
  }

  /**
   * Rename a passkey; then the provider is told the account's current name and display
   * name (signalCurrentUserDetails). Resolves with the Passkey.
   * @param {string} id
   * @param {string} name
   */
  async renamePasskey(id, name) {
    const passkey = await this.request("PATCH", "/api/v1/passkeys/" + encodeURIComponent(id), { name });
    await this.signalCurrentUserDetails();
    return passkey;
  }

  /**
   * Tell the passkey provider the signed-in account's username and display name.
   * @returns {Promise<boolean>} whether the browser was told
   */
  async signalCurrentUserDetails() {
    const PKC = this.webauthnInterface();
    if (!this.signals || !PKC || typeof PKC.signalCurrentUserDetails !== "function") return false;
    try {
      const s = await this.session();
      if (!s) return false;
      if (!this.account) await this.listPasskeys();
      if (!this.account) return false;
      return this.signal("signalCurrentUserDetails", { rpId: this.account.rpId, userId: this.account.userHandle, name: s.user.username, displayName: s.user.displayName });
    } catch {
      return false;
    }
  }

  /**
   * Delete a passkey (needs a recent sign-in); then the provider is told which passkeys
   * remain, so the deleted one leaves autofill.
   * @param {string} id
   */
  async deletePasskey(id) {
    await this.request("DELETE", "/api/v1/passkeys/" + encodeURIComponent(id));
    const PKC = this.webauthnInterface();
    if (this.signals && PKC && typeof PKC.signalAllAcceptedCredentials === "function") {
      try {
        await this.listPasskeys();
      } catch {
        // the deletion happened; the signal is a courtesy
      }
    }
    return null;
  }

  /**
   * Make the session recent again with one of the user's passkeys (user verification
   * required), for changes that answer reauthentication_required. Resolves with {session}.
   * @param {{signal?: AbortSignal, hints?: string[]}} [o]
   */
  reauthenticate(o = {}) {
    this.abortPending();
    return this.assert("/api/v1/session/reauth/options", {}, "/api/v1/session/reauth", (credential) => ({ credential }), { signal: o.signal, hints: o.hints });
  }

  /**
   * Make the session recent again with the password (and TOTP code, when the account has one).
   * @param {string} password
   * @param {string} [code]
   */
  reauthenticateWithPassword(password, code) {
    /** @type {Record<string, string>} */
    const body = { password };
    if (code) body.code = code;
    return this.request("POST", "/api/v1/session/reauth", body);
  }

  /** The user's live sessions, newest first ({id, current, userAgent, ip, …}). */
  async listSessions() {
    return (await this.request("GET", "/api/v1/sessions")).sessions;
  }

  /** @param {string} id */
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
  async deleteAccount() {
    await this.request("DELETE", "/api/v1/account");
    // No passkey of this account is accepted any more: the provider may drop them all.
    if (this.account) await this.signal("signalAllAcceptedCredentials", { rpId: this.account.rpId, userId: this.account.userHandle, allAcceptedCredentialIds: [] });
    this.account = null;
    this.setToken(null);
    return null;
  }

  /** A short-lived signed access token (JWT) for the session: {accessToken, tokenType, expiresIn}. */
  accessToken() {
    return this.request("POST", "/api/v1/session/token", {});
  }
}
