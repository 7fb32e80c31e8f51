// A consumer of @passkeyd/browser, compiled with tsc --strict by the package's tests: the
// types must describe every public call as the README shows it.
import { Passkeyd, PasskeydError, ERROR_CODES } from "@passkeyd/browser";
import type { Capabilities, ErrorCode, Passkey, SignInResult, SessionListItem } from "@passkeyd/browser";

const pk = new Passkeyd({ baseURL: "https://id.example.com", auth: "bearer", token: null, onToken: (t: string | null) => void t });
const same = new Passkeyd();

export async function flows(signal: AbortSignal): Promise<void> {
  const caps: Capabilities = await pk.capabilities();
  if (!caps.webauthn) return;
  const created = await pk.signUp("alice", "Alice", { attachment: "platform", name: "Laptop", signal });
  const firstPasskey: Passkey = created.passkey;
  const codes: string[] | undefined = created.recoveryCodes;
  const result: SignInResult = await pk.signIn({ username: "alice", signal });
  const key = await pk.signIn({ securityKey: true, hints: ["security-key"] });
  const auto: SignInResult | null = await same.autofill({ signal });
  const auto2: SignInResult | null = await same.autofill(signal);
  const methods: string[] = await pk.loginMethods("alice");
  try {
    await pk.passwordLogin("alice", "correct horse");
  } catch (err) {
    if (err instanceof PasskeydError && err.code === "mfa_required" && err.mfaToken) {
      await pk.verifySecondFactorWithPasskey(err.mfaToken, { signal });
      await pk.verifySecondFactor(err.mfaToken, "123456");
    }
    if (err instanceof PasskeydError) {
      const c: ErrorCode = err.code;
      const retry: number | undefined = err.retryAfter;
      void c, retry, err.status, err.problem?.detail;
    }
  }
  const list: Passkey[] = await pk.listPasskeys();
  const renamed: Passkey = await pk.renamePasskey(list[0].id, "Phone");
  await pk.deletePasskey(renamed.id);
  await pk.addPasskey({ name: "Key", attachment: "cross-platform", signal });
  await pk.reauthenticate({ signal });
  await pk.reauthenticateWithPassword("pw", "123456");
  const sessions: SessionListItem[] = await pk.listSessions();
  await pk.revokeSession(sessions[0].id);
  await pk.revokeOtherSessions();
  const totp = await pk.beginTOTP();
  await pk.confirmTOTP(totp.secret);
  const fresh: string[] = await pk.regenerateRecoveryCodes();
  const s = await pk.session();
  if (s) void s.user.displayName, s.session.amr;
  const jwt = await pk.accessToken();
  await pk.changePassword("new password", "old");
  await pk.removePassword();
  await pk.removeTOTP();
  await pk.signOut();
  await pk.deleteAccount();
  void firstPasskey, codes, result, key, auto, auto2, methods, fresh, jwt.accessToken, ERROR_CODES.length, Passkeyd.supported();
}
