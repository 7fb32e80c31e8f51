// Test doubles for the SDK's two edges: the HTTP API (a fetch that answers from a route
// table and records requests) and the browser's WebAuthn (credentials.create/get and the
// PublicKeyCredential interface, recording calls). The SDK itself runs unchanged.

export const enc = (s) => new TextEncoder().encode(s).buffer;
export const b64 = (s) => Buffer.from(s).toString("base64url");

export function fakeFetch(routes) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    const path = new URL(url, "http://sdk.test").pathname;
    const key = `${init.method} ${path}`;
    const body = init.body ? JSON.parse(init.body) : undefined;
    calls.push({ url, key, init, body, headers: init.headers || {} });
    if (init.signal && init.signal.aborted) throw new DOMException("aborted", "AbortError");
    const route = routes[key];
    if (!route) return response(404, { code: "not_found", detail: "no route " + key });
    const r = typeof route === "function" ? route(body, init) : route;
    return response(r.status || 200, r.body, r.headers);
  };
  return { fetch, calls };
}

function response(status, body, headers = {}) {
  const h = new Headers(headers);
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText: "",
    headers: h,
    json: async () => {
      if (body === undefined) throw new SyntaxError("no body");
      return body;
    },
  };
}

/** A PublicKeyCredential-like object; withJSON adds toJSON() as Level 3 browsers have. */
export function fakeCredential({ id = "cred-1", attestation = false, withJSON = false } = {}) {
  const response = attestation
    ? { clientDataJSON: enc("cd"), attestationObject: enc("ao"), getTransports: () => ["internal"], getAuthenticatorData: () => enc("ad"), getPublicKeyAlgorithm: () => -7, getPublicKey: () => enc("pk") }
    : { clientDataJSON: enc("cd"), authenticatorData: enc("ad"), signature: enc("sig"), userHandle: enc("uh") };
  const cred = { id, rawId: enc(id), type: "public-key", authenticatorAttachment: "platform", response, getClientExtensionResults: () => ({ credProps: { rk: true } }) };
  if (withJSON) cred.toJSON = () => ({ id, fromToJSON: true });
  return cred;
}

/**
 * fakeWebAuthn returns {webauthn, log}: webauthn goes into new Passkeyd({webauthn}).
 * opts.l3 gives PublicKeyCredential the JSON parsers; opts.signals the Signal API;
 * opts.capabilities a getClientCapabilities result; opts.fail a DOMException name to throw.
 */
export function fakeWebAuthn(opts = {}) {
  const log = { create: [], get: [], signals: [], parsed: [] };
  const PublicKeyCredential = {
    isConditionalMediationAvailable: async () => opts.conditional ?? true,
    isUserVerifyingPlatformAuthenticatorAvailable: async () => opts.uvpa ?? true,
  };
  if (opts.l3) {
    PublicKeyCredential.parseCreationOptionsFromJSON = (j) => (log.parsed.push(["creation", j]), { parsedBy: "browser", json: j });
    PublicKeyCredential.parseRequestOptionsFromJSON = (j) => (log.parsed.push(["request", j]), { parsedBy: "browser", json: j });
  }
  if (opts.capabilities) PublicKeyCredential.getClientCapabilities = async () => opts.capabilities;
  if (opts.signals) {
    for (const n of ["signalUnknownCredential", "signalAllAcceptedCredentials", "signalCurrentUserDetails"]) {
      PublicKeyCredential[n] = async (arg) => {
        log.signals.push([n, arg]);
      };
    }
  }
  const wait = (signal) =>
    new Promise((resolve, reject) => {
      if (!opts.hang) return resolve();
      signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")), { once: true });
    });
  const credentials = {
    async create(o) {
      log.create.push(o);
      if (opts.fail) throw new DOMException("failed", opts.fail);
      await wait(o.signal);
      return fakeCredential({ attestation: true, withJSON: opts.toJSON });
    },
    async get(o) {
      log.get.push(o);
      if (opts.fail) throw new DOMException("failed", opts.fail);
      await wait(o.signal);
      return fakeCredential({ withJSON: opts.toJSON });
    },
  };
  return { webauthn: { credentials, PublicKeyCredential }, log };
}

export const creationOptions = {
  publicKey: {
    rp: { id: "example.com", name: "Example" },
    user: { id: b64("user-handle"), name: "alice", displayName: "Alice" },
    challenge: b64("challenge"),
    pubKeyCredParams: [{ type: "public-key", alg: -7 }],
    excludeCredentials: [{ id: b64("old"), type: "public-key", transports: ["usb"] }],
  },
};

export const requestOptions = {
  publicKey: { challenge: b64("challenge"), rpId: "example.com", allowCredentials: [{ id: b64("cred-1"), type: "public-key" }], userVerification: "preferred" },
};

export const session = { id: "s1", expiresAt: "2030-01-01T00:00:00Z", authenticatedAt: "2030-01-01T00:00:00Z", method: "passkey", userVerified: true, amr: ["hwk", "user"] };
export const user = { id: "u1", username: "alice", displayName: "Alice" };
