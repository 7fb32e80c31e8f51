import { test } from "node:test";
import assert from "node:assert/strict";

import { Passkeyd, PasskeydError, ERROR_CODES, ERROR_MESSAGES, browserError, b64url, parseCreationOptions, credentialToJSON } from "../passkeyd.js";
import { fakeFetch, fakeWebAuthn, creationOptions, requestOptions, session, user, b64, enc } from "./fakes.js";

const signInRoutes = (extra = {}) => ({
  "POST /api/v1/authentication/options": { body: requestOptions },
  "POST /api/v1/authentication/verify": { body: { user, session: { ...session, token: "tok-1" } } },
  ...extra,
});

test("importing and constructing touch no browser global (SSR)", async () => {
  const names = ["window", "document", "navigator", "location", "fetch", "PublicKeyCredential", "localStorage"];
  const saved = names.map((n) => Object.getOwnPropertyDescriptor(globalThis, n));
  const touched = [];
  for (const n of names) Object.defineProperty(globalThis, n, { configurable: true, get: () => touched.push(n) && undefined });
  try {
    const mod = await import("../passkeyd.js?ssr");
    new mod.Passkeyd();
    new mod.Passkeyd({ baseURL: "https://id.example.com", auth: "bearer" });
  } finally {
    names.forEach((n, i) => (saved[i] ? Object.defineProperty(globalThis, n, saved[i]) : delete globalThis[n]));
  }
  assert.deepEqual(touched, []);
});

test("cookie mode: same-origin credentials, no Authorization, baseURL prefix", async () => {
  const { fetch, calls } = fakeFetch({ "GET /api/v1/session": { body: { user, session } } });
  const pk = new Passkeyd({ fetch, baseURL: "https://id.example.com/" });
  assert.equal((await pk.session()).user.username, "alice");
  assert.equal(calls[0].url, "https://id.example.com/api/v1/session");
  assert.equal(calls[0].init.credentials, "same-origin");
  assert.equal(calls[0].headers.Authorization, undefined);
});

test("bearer mode: keeps the session token, sends it, never sends cookies, forgets it when refused", async () => {
  const tokens = [];
  const { fetch, calls } = fakeFetch(
    signInRoutes({ "GET /api/v1/passkeys": { status: 401, body: { code: "unauthenticated", detail: "session expired" } } }),
  );
  const { webauthn } = fakeWebAuthn();
  const pk = new Passkeyd({ fetch, webauthn, baseURL: "https://id.example.com", auth: "bearer", onToken: (t) => tokens.push(t) });
  await pk.signIn();
  assert.equal(pk.token, "tok-1");
  await assert.rejects(pk.listPasskeys(), (e) => e instanceof PasskeydError && e.code === "unauthenticated" && e.status === 401);
  const list = calls.find((c) => c.key === "GET /api/v1/passkeys");
  assert.equal(list.headers.Authorization, "Bearer tok-1");
  assert.ok(calls.every((c) => c.init.credentials === "omit"));
  assert.deepEqual(tokens, ["tok-1", null]);
  assert.equal(pk.token, null);
  assert.throws(() => new Passkeyd({ auth: "cookies" }), TypeError);
});

test("bearer mode: a stored token is used from the start and cleared on sign-out", async () => {
  const { fetch, calls } = fakeFetch({ "DELETE /api/v1/session": { status: 204 } });
  const tokens = [];
  const pk = new Passkeyd({ fetch, auth: "bearer", token: "saved", onToken: (t) => tokens.push(t) });
  await pk.signOut();
  assert.equal(calls[0].headers.Authorization, "Bearer saved");
  assert.deepEqual(tokens, [null]);
});

test("every ceremony passes its AbortSignal to fetch and to the browser", async () => {
  const { fetch, calls } = fakeFetch({
    ...signInRoutes(),
    "POST /api/v1/registration/options": { body: creationOptions },
    "POST /api/v1/registration/verify": { status: 201, body: { user, passkey: { id: "cred-1" }, session } },
    "POST /api/v1/session/reauth/options": { body: requestOptions },
    "POST /api/v1/session/reauth": { body: { session } },
    "POST /api/v1/mfa/verify": { body: { user, session } },
  });
  const { webauthn, log } = fakeWebAuthn();
  const pk = new Passkeyd({ fetch, webauthn });
  const ceremonies = {
    signUp: (signal) => pk.signUp("alice", "Alice", { signal }),
    addPasskey: (signal) => pk.addPasskey({ signal }),
    signIn: (signal) => pk.signIn({ signal }),
    reauthenticate: (signal) => pk.reauthenticate({ signal }),
    verifySecondFactorWithPasskey: (signal) => pk.verifySecondFactorWithPasskey("mfa-1", { signal }),
  };
  for (const [name, run] of Object.entries(ceremonies)) {
    const signal = new AbortController().signal;
    calls.length = 0;
    log.create.length = log.get.length = 0;
    await run(signal);
    assert.ok(calls.length >= 2 && calls.every((c) => c.init.signal === signal), name + ": fetch got the signal");
    const browserCall = log.create[0] || log.get[0];
    assert.equal(browserCall.signal, signal, name + ": navigator.credentials got the signal");
  }
  const mfa = calls.filter((c) => c.key !== "POST /api/v1/authentication/options");
  assert.deepEqual(Object.keys(mfa.at(-1).body).sort(), ["credential", "mfaToken"]);
});

test("aborting a pending ceremony rejects with aborted", async () => {
  const { fetch } = fakeFetch(signInRoutes());
  const { webauthn } = fakeWebAuthn({ hang: true });
  const pk = new Passkeyd({ fetch, webauthn });
  const ac = new AbortController();
  const p = pk.signIn({ signal: ac.signal });
  setTimeout(() => ac.abort(), 5);
  await assert.rejects(p, (e) => e.code === "aborted");
  await assert.rejects(pk.signIn({ signal: AbortSignal.abort() }), (e) => e.code === "aborted");
});

test("autofill: conditional mediation, null when aborted or unavailable, accepts a signal or {signal}", async () => {
  const { fetch } = fakeFetch(signInRoutes());
  const hanging = fakeWebAuthn({ hang: true });
  const pk = new Passkeyd({ fetch, webauthn: hanging.webauthn });
  const ac = new AbortController();
  const p = pk.autofill({ signal: ac.signal });
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(hanging.log.get[0].mediation, "conditional");
  ac.abort();
  assert.equal(await p, null);

  const off = fakeWebAuthn({ conditional: false });
  assert.equal(await new Passkeyd({ fetch, webauthn: off.webauthn }).autofill(new AbortController().signal), null);
  assert.equal(off.log.get.length, 0);

  // A modal sign-in cancels a pending autofill request: only one may be pending.
  const pk2 = new Passkeyd({ fetch, webauthn: fakeWebAuthn({ hang: true }).webauthn });
  const auto = pk2.autofill();
  await new Promise((r) => setTimeout(r, 5));
  pk2.abortPending();
  assert.equal(await auto, null);
});

test("capabilities: getClientCapabilities when present", async () => {
  const { webauthn } = fakeWebAuthn({ capabilities: { conditionalGet: true, hybridTransport: true, relatedOrigins: true, "extension:prf": true, signalUnknownCredential: true }, conditional: false, uvpa: false });
  const caps = await new Passkeyd({ webauthn }).capabilities();
  assert.equal(caps.webauthn, true);
  assert.equal(caps.conditionalGet, true, "the report wins over isConditionalMediationAvailable");
  assert.equal(caps.hybridTransport, true);
  assert.equal(caps["extension:prf"], true);
  assert.equal(caps.userVerifyingPlatformAuthenticator, false, "a key the report lacks comes from the individual check");
  assert.equal(caps.signalUnknownCredential, false, "reported but not there: not usable");
});

test("capabilities: the individual checks without getClientCapabilities", async () => {
  const { webauthn } = fakeWebAuthn({ conditional: true, uvpa: true, signals: true });
  const caps = await new Passkeyd({ webauthn }).capabilities();
  assert.equal(caps.conditionalGet, true);
  assert.equal(caps.userVerifyingPlatformAuthenticator, true);
  assert.equal(caps.passkeyPlatformAuthenticator, true);
  assert.equal(caps.signalAllAcceptedCredentials, true);
  assert.equal(caps.hybridTransport, false);
  const none = await new Passkeyd({ webauthn: { credentials: null, PublicKeyCredential: null }, fetch: async () => {} }).capabilities();
  assert.equal(none.webauthn, false);
  assert.equal(none.conditionalGet, false);
});

test("WebAuthn L3 JSON: the browser's parsers and toJSON when present", async () => {
  const { fetch, calls } = fakeFetch(signInRoutes());
  const { webauthn, log } = fakeWebAuthn({ l3: true, toJSON: true });
  await new Passkeyd({ fetch, webauthn }).signIn({ securityKey: true });
  assert.equal(log.get[0].publicKey.parsedBy, "browser");
  assert.deepEqual(log.parsed[0][1].hints, ["security-key"], "a security-key sign-in carries the hint");
  assert.deepEqual(calls.at(-1).body.credential, { id: "cred-1", fromToJSON: true });
});

test("WebAuthn JSON fallback: decoding options and encoding credentials by hand", async () => {
  const { fetch, calls } = fakeFetch({
    "POST /api/v1/registration/options": { body: creationOptions },
    "POST /api/v1/registration/verify": { status: 201, body: { user, passkey: { id: "cred-1" }, session } },
  });
  const { webauthn, log } = fakeWebAuthn();
  await new Passkeyd({ fetch, webauthn }).signUp("alice", "", { name: "Laptop", hints: ["client-device"] });
  const pub = log.create[0].publicKey;
  assert.equal(Buffer.from(pub.challenge).toString(), "challenge");
  assert.equal(Buffer.from(pub.user.id).toString(), "user-handle");
  assert.equal(Buffer.from(pub.excludeCredentials[0].id).toString(), "old");
  assert.deepEqual(pub.excludeCredentials[0].transports, ["usb"]);
  assert.deepEqual(pub.hints, ["client-device"]);
  const verify = calls.at(-1).body;
  assert.equal(verify.name, "Laptop");
  assert.deepEqual(verify.credential, {
    id: "cred-1", rawId: b64("cred-1"), type: "public-key", authenticatorAttachment: "platform",
    response: { clientDataJSON: b64("cd"), attestationObject: b64("ao"), transports: ["internal"], authenticatorData: b64("ad"), publicKeyAlgorithm: -7, publicKey: b64("pk") },
    clientExtensionResults: { credProps: { rk: true } },
  });
  assert.equal(calls[0].body.displayName, undefined, "an empty display name is left to the server");
});

test("fallback encoding of an assertion", () => {
  const j = credentialToJSON({ id: "x", rawId: enc("x"), type: "public-key", response: { clientDataJSON: enc("c"), authenticatorData: enc("a"), signature: enc("s"), userHandle: null } });
  assert.deepEqual(j.response, { clientDataJSON: b64("c"), authenticatorData: b64("a"), signature: b64("s") });
  assert.deepEqual(j.clientExtensionResults, {});
  assert.equal(parseCreationOptions(creationOptions.publicKey, {}).excludeCredentials.length, 1);
  for (const s of ["", "f", "fo", "foo", "foob", "\u00ff\u00fe"]) assert.equal(Buffer.from(b64url.decode(b64url.encode(Buffer.from(s, "latin1")))).toString("latin1"), s);
});

test("Signal API: an unknown credential is reported to the browser", async () => {
  const { fetch } = fakeFetch({
    ...signInRoutes(),
    "POST /api/v1/authentication/verify": { status: 401, body: { code: "credential_unknown", detail: "not registered" } },
  });
  const { webauthn, log } = fakeWebAuthn({ signals: true });
  await assert.rejects(new Passkeyd({ fetch, webauthn }).signIn(), (e) => e.code === "credential_unknown");
  assert.deepEqual(log.signals, [["signalUnknownCredential", { rpId: "example.com", credentialId: "cred-1" }]]);
});

test("Signal API: other failures signal nothing, and browsers without it are fine", async () => {
  const { fetch } = fakeFetch({ ...signInRoutes(), "POST /api/v1/authentication/verify": { status: 401, body: { code: "signature_invalid" } } });
  const { webauthn, log } = fakeWebAuthn({ signals: true });
  await assert.rejects(new Passkeyd({ fetch, webauthn }).signIn(), (e) => e.code === "signature_invalid");
  assert.deepEqual(log.signals, []);
  const { fetch: f2 } = fakeFetch({ ...signInRoutes(), "POST /api/v1/authentication/verify": { status: 401, body: { code: "credential_unknown" } } });
  await assert.rejects(new Passkeyd({ fetch: f2, webauthn: fakeWebAuthn().webauthn }).signIn(), (e) => e.code === "credential_unknown");
  const off = fakeWebAuthn({ signals: true });
  await assert.rejects(new Passkeyd({ fetch: f2, webauthn: off.webauthn, signals: false }).signIn(), (e) => e.code === "credential_unknown");
  assert.deepEqual(off.log.signals, [], "signals: false turns them off");
});

test("Signal API: accepted credentials after list and delete, user details after a rename, none left after account deletion", async () => {
  let passkeys = [{ id: "a" }, { id: "b" }];
  const { fetch } = fakeFetch({
    "GET /api/v1/passkeys": () => ({ body: { passkeys, rpId: "example.com", userHandle: "dWg" } }),
    "DELETE /api/v1/passkeys/b": () => ((passkeys = [{ id: "a" }]), { status: 204 }),
    "PATCH /api/v1/passkeys/a": { body: { id: "a", name: "Phone" } },
    "GET /api/v1/session": { body: { user, session } },
    "DELETE /api/v1/account": { status: 204 },
  });
  const { webauthn, log } = fakeWebAuthn({ signals: true });
  const pk = new Passkeyd({ fetch, webauthn });
  assert.equal((await pk.listPasskeys()).length, 2);
  await pk.deletePasskey("b");
  assert.equal((await pk.renamePasskey("a", "Phone")).name, "Phone");
  await pk.deleteAccount();
  assert.deepEqual(log.signals, [
    ["signalAllAcceptedCredentials", { rpId: "example.com", userId: "dWg", allAcceptedCredentialIds: ["a", "b"] }],
    ["signalAllAcceptedCredentials", { rpId: "example.com", userId: "dWg", allAcceptedCredentialIds: ["a"] }],
    ["signalCurrentUserDetails", { rpId: "example.com", userId: "dWg", name: "alice", displayName: "Alice" }],
    ["signalAllAcceptedCredentials", { rpId: "example.com", userId: "dWg", allAcceptedCredentialIds: [] }],
  ]);
});

test("errors: every DOMException name maps to a stable code", () => {
  const cases = {
    NotAllowedError: ["cancelled", "cancelled"],
    AbortError: ["aborted", "aborted"],
    InvalidStateError: ["already_registered", "invalid_state"],
    SecurityError: ["security", "security"],
    NotSupportedError: ["unsupported", "unsupported"],
    ConstraintError: ["constraint", "constraint"],
    UnknownError: ["authenticator", "authenticator"],
    TypeError: ["invalid_options", "invalid_options"],
    SomethingNew: ["unknown", "unknown"],
  };
  for (const [name, [onCreate, onGet]] of Object.entries(cases)) {
    const ex = name === "TypeError" ? new TypeError("bad") : new DOMException("x", name);
    assert.equal(browserError(ex, "create").code, onCreate, name);
    const e = browserError(ex, "get");
    assert.equal(e.code, onGet, name);
    assert.equal(e.cause, ex);
    assert.ok(ERROR_CODES.includes(e.code));
  }
});

test("errors: contract codes pass through; unknown ones, network failures and Retry-After", async () => {
  const contract = ERROR_CODES.slice(0, ERROR_CODES.indexOf("cancelled"));
  for (const code of contract) {
    const { fetch } = fakeFetch({ "POST /api/v1/login/methods": { status: 400, body: { code, detail: "d" } } });
    await assert.rejects(new Passkeyd({ fetch }).loginMethods("x"), (e) => e instanceof PasskeydError && e.code === code && e.serverCode === code && e.problem.detail === "d");
  }
  const { fetch } = fakeFetch({
    "POST /api/v1/login/methods": { status: 418, body: { code: "brand_new_code" } },
    "POST /api/v1/password/login": { status: 429, body: { code: "account_locked", detail: "locked" }, headers: { "Retry-After": "60" } },
    "POST /api/v1/recovery/login": { status: 401, body: { code: "mfa_required", mfaToken: "m", methods: ["totp", "passkey"] } },
    "POST /api/v1/totp": { status: 502 },
  });
  const pk = new Passkeyd({ fetch });
  await assert.rejects(pk.loginMethods("x"), (e) => e.code === "http_error" && e.serverCode === "brand_new_code" && e.status === 418);
  await assert.rejects(pk.passwordLogin("a", "b"), (e) => e.code === "account_locked" && e.retryAfter === 60);
  await assert.rejects(pk.recoveryLogin("a", "b"), (e) => e.mfaToken === "m" && e.methods.join() === "totp,passkey");
  await assert.rejects(pk.beginTOTP(), (e) => e.code === "http_error" && e.status === 502);
  const down = new Passkeyd({ fetch: async () => { throw new TypeError("Failed to fetch"); } });
  await assert.rejects(down.session(), (e) => e.code === "network");
  const noBrowser = new Passkeyd({ fetch: fakeFetch(signInRoutes()).fetch, webauthn: { credentials: null, PublicKeyCredential: null } });
  await assert.rejects(noBrowser.signIn(), (e) => e.code === "unsupported");
});

test("ERROR_CODES are unique and the SDK's own have English texts", () => {
  assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
  for (const c of ERROR_CODES.slice(ERROR_CODES.indexOf("cancelled"))) assert.ok(ERROR_MESSAGES[c], c);
});
