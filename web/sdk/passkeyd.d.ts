// Types of @passkeyd/browser (passkeyd.js). Written by hand to match the HTTP contract; the
// package's tests compile a consumer against them with tsc --strict.

/** The stable codes of PasskeydError.code. */
export type ErrorCode =
  // The API contract's problem codes.
  | "invalid_request" | "challenge_unknown" | "origin_mismatch" | "rp_id_mismatch" | "ceremony_type_mismatch"
  | "user_presence_required" | "user_verification_required" | "algorithm_not_allowed" | "attestation_invalid"
  | "credential_exists" | "credential_unknown" | "user_handle_mismatch" | "flags_invalid" | "signature_invalid"
  | "counter_regression" | "unauthenticated" | "invalid_credentials" | "mfa_required" | "forbidden_origin"
  | "reauthentication_required" | "not_found" | "username_taken" | "last_credential" | "payload_too_large"
  | "unsupported_media_type" | "rate_limited" | "account_locked" | "unavailable" | "internal"
  // The browser's WebAuthn DOMExceptions: NotAllowedError, AbortError, InvalidStateError
  // (already_registered on create), SecurityError, NotSupportedError, ConstraintError,
  // UnknownError, TypeError.
  | "cancelled" | "aborted" | "already_registered" | "invalid_state" | "security" | "unsupported" | "constraint"
  | "authenticator" | "invalid_options"
  // Transport.
  | "network" | "http_error" | "unknown";

export declare const ERROR_CODES: readonly ErrorCode[];
export declare const ERROR_MESSAGES: Readonly<Partial<Record<ErrorCode, string>>>;

/** An RFC 9457 problem from the API. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  [key: string]: unknown;
}

export declare class PasskeydError extends Error {
  constructor(code: ErrorCode, detail?: string, extra?: { status?: number; cause?: unknown; problem?: Problem | null; serverCode?: string });
  readonly name: "PasskeydError";
  /** One of ERROR_CODES; a code this SDK does not know is "http_error". */
  code: ErrorCode;
  detail: string;
  /** The HTTP status, 0 for browser and network errors. */
  status: number;
  problem: Problem | null;
  /** The server's code as it was sent. */
  serverCode: string;
  /** Set on mfa_required: finish with verifySecondFactor or verifySecondFactorWithPasskey. */
  mfaToken?: string;
  methods?: SecondFactorMethod[];
  /** Seconds, from Retry-After (rate_limited, account_locked, unavailable). */
  retryAfter?: number;
}

export type SecondFactorMethod = "passkey" | "totp" | "recovery_code";
export type SignInMethod = "passkey" | "password" | "recovery_code" | (string & {});
export type Attachment = "platform" | "cross-platform";
export type Hint = "security-key" | "client-device" | "hybrid";

export interface User {
  id: string;
  username: string;
  displayName: string;
}

export interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  transports: string[];
  aaguid: string;
  provider: string | null;
  deviceType: "platform" | "security_key" | "hybrid" | "unknown" | (string & {});
  backupEligible: boolean;
  backedUp: boolean;
  discoverable: boolean | null;
  userVerified: boolean;
  attestationFormat: string;
}

export interface Session {
  id: string;
  expiresAt: string;
  authenticatedAt: string;
  method: SignInMethod;
  userVerified: boolean;
  amr: string[];
  /** Only in the response that creates the session. */
  token?: string;
}

export interface SessionListItem {
  id: string;
  createdAt: string;
  expiresAt: string;
  authenticatedAt: string;
  method: SignInMethod;
  userVerified: boolean;
  amr: string[];
  current: boolean;
  userAgent: string;
  ip: string;
}

export interface SignInResult {
  user: User;
  session: Session;
  passkey?: Passkey;
  /** Password sign-ins: true when the account has no passkey yet (offer one). */
  suggestPasskey?: boolean;
  /** Shown once: the account's first authenticator. */
  recoveryCodes?: string[];
}

export interface SignUpResult extends SignInResult {
  passkey: Passkey;
}

export interface AddPasskeyResult {
  user: User;
  passkey: Passkey;
  recoveryCodes?: string[];
}

export interface CurrentSession {
  user: User;
  session: Session;
  /** Whether the account has a password and a confirmed TOTP. */
  factors: { password: boolean; totp: boolean };
}

export interface TOTPEnrolment {
  secret: string;
  uri: string;
  qrCode?: string;
}

export interface AccessToken {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
}

/** What the browser can do (getClientCapabilities, or the individual checks). */
export interface Capabilities {
  webauthn: boolean;
  conditionalCreate: boolean;
  conditionalGet: boolean;
  hybridTransport: boolean;
  passkeyPlatformAuthenticator: boolean;
  userVerifyingPlatformAuthenticator: boolean;
  relatedOrigins: boolean;
  signalAllAcceptedCredentials: boolean;
  signalCurrentUserDetails: boolean;
  signalUnknownCredential: boolean;
  [capability: string]: boolean;
}

export interface Options {
  /** Where passkeyd is, e.g. "https://id.example.com"; default: this page's origin. */
  baseURL?: string;
  /**
   * "cookie" (default): the session cookie, for pages on passkeyd's origin (or behind the
   * same origin). "bearer": the session token in Authorization, for apps on other origins;
   * no cookies are sent.
   */
  auth?: "cookie" | "bearer";
  /** fetch credentials mode in cookie mode; default "same-origin". */
  credentials?: RequestCredentials;
  /** Bearer mode: a token kept from an earlier session. */
  token?: string | null;
  /** Bearer mode: called with each new token, and null when it ends; persist it here. */
  onToken?: (token: string | null) => void;
  /** Tell the browser's passkey provider what the server knows (Signal API); default true. */
  signals?: boolean;
  fetch?: typeof fetch;
  /** Replaces navigator.credentials and PublicKeyCredential (tests, embedded webviews). */
  webauthn?: { credentials?: CredentialsContainer; PublicKeyCredential?: unknown };
}

export interface CeremonyOptions {
  signal?: AbortSignal;
  hints?: Hint[];
}

export interface RegisterOptions extends CeremonyOptions {
  attachment?: Attachment;
  /** The passkey's name in the account's list. */
  name?: string;
}

export interface SignInOptions extends CeremonyOptions {
  /** Name the account: the server lists its passkeys (otherwise the user picks one). */
  username?: string;
  /** Go straight to a security key (hints: ["security-key"]). */
  securityKey?: boolean;
}

export declare class Passkeyd {
  constructor(options?: Options);
  baseURL: string;
  auth: "cookie" | "bearer";
  token: string | null;
  /** The RP ID and user handle, once the passkey list was read. */
  account: { rpId: string; userHandle: string } | null;

  static supported(): boolean;
  static autofillAvailable(): Promise<boolean>;
  isSupported(): boolean;
  capabilities(): Promise<Capabilities>;

  signUp(username: string, displayName?: string, options?: RegisterOptions): Promise<SignUpResult>;
  addPasskey(options?: RegisterOptions): Promise<AddPasskeyResult>;
  signIn(options?: SignInOptions): Promise<SignInResult>;
  /** Resolves with null when autofill is unavailable or aborted. */
  autofill(options?: AbortSignal | { signal?: AbortSignal }): Promise<SignInResult | null>;
  loginMethods(username: string, options?: { signal?: AbortSignal }): Promise<string[]>;

  passwordLogin(username: string, password: string, options?: { signal?: AbortSignal }): Promise<SignInResult>;
  passwordSignUp(username: string, password: string, displayName?: string): Promise<SignInResult>;
  changePassword(newPassword: string, currentPassword?: string): Promise<null>;
  removePassword(): Promise<null>;
  beginTOTP(): Promise<TOTPEnrolment>;
  confirmTOTP(code: string): Promise<{ recoveryCodes?: string[] }>;
  removeTOTP(): Promise<null>;
  verifySecondFactor(mfaToken: string, code: string): Promise<SignInResult>;
  verifySecondFactorWithPasskey(mfaToken: string, options?: CeremonyOptions): Promise<SignInResult>;
  recoveryLogin(username: string, code: string): Promise<SignInResult>;
  regenerateRecoveryCodes(): Promise<string[]>;

  session(): Promise<CurrentSession | null>;
  signOut(): Promise<null>;
  listPasskeys(): Promise<Passkey[]>;
  renamePasskey(id: string, name: string): Promise<Passkey>;
  deletePasskey(id: string): Promise<null>;
  signalCurrentUserDetails(): Promise<boolean>;

  reauthenticate(options?: CeremonyOptions): Promise<{ session: Session }>;
  reauthenticateWithPassword(password: string, code?: string): Promise<{ session: Session }>;
  listSessions(): Promise<SessionListItem[]>;
  revokeSession(id: string): Promise<null>;
  revokeOtherSessions(): Promise<null>;
  deleteAccount(): Promise<null>;
  accessToken(): Promise<AccessToken>;

  /** Low level: one API call. */
  request<T = unknown>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T>;
  abortPending(): void;
}

/** WebAuthn Level 3 JSON shapes, as the API sends and takes them (binary as base64url). */
export interface CredentialDescriptorJSON {
  id: string;
  type: "public-key";
  transports?: string[];
}

export interface CreationOptionsJSON {
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  challenge: string;
  pubKeyCredParams: { type: "public-key"; alg: number }[];
  timeout?: number;
  excludeCredentials?: CredentialDescriptorJSON[];
  authenticatorSelection?: { authenticatorAttachment?: Attachment; residentKey?: string; requireResidentKey?: boolean; userVerification?: string };
  attestation?: string;
  hints?: Hint[];
  extensions?: Record<string, unknown>;
}

export interface RequestOptionsJSON {
  challenge: string;
  timeout?: number;
  rpId?: string;
  allowCredentials?: CredentialDescriptorJSON[];
  userVerification?: string;
  hints?: Hint[];
  extensions?: Record<string, unknown>;
}

export interface RegistrationResponseJSON {
  id: string;
  rawId: string;
  type: "public-key";
  authenticatorAttachment?: string;
  response: {
    clientDataJSON: string;
    attestationObject: string;
    authenticatorData?: string;
    transports?: string[];
    publicKeyAlgorithm?: number;
    publicKey?: string;
  };
  clientExtensionResults: Record<string, unknown>;
}

export interface AuthenticationResponseJSON {
  id: string;
  rawId: string;
  type: "public-key";
  authenticatorAttachment?: string;
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  clientExtensionResults: Record<string, unknown>;
}

export declare function browserError(err: unknown, op: "create" | "get"): PasskeydError;
/** PublicKeyCredential.parseCreationOptionsFromJSON, or the same decoding where the browser lacks it. */
export declare function parseCreationOptions(json: CreationOptionsJSON, PKC?: unknown): PublicKeyCredentialCreationOptions;
export declare function parseRequestOptions(json: RequestOptionsJSON, PKC?: unknown): PublicKeyCredentialRequestOptions;
/** credential.toJSON(), or the same encoding where the browser lacks it. */
export declare function credentialToJSON(credential: PublicKeyCredential): RegistrationResponseJSON | AuthenticationResponseJSON;
export declare const b64url: {
  encode(buf: ArrayBuffer | ArrayBufferView): string;
  decode(str: string): ArrayBuffer;
};
