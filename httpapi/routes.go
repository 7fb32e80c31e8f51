package httpapi

import "net/http"

// routes is the whole HTTP surface on one screen.
func (s *server) routes(mux interface{ Handle(string, http.Handler) }) {
	mux.Handle("POST /api/v1/registration/options", s.limited(s.handleRegistrationOptions()))
	mux.Handle("POST /api/v1/registration/verify", s.limited(s.signsIn(s.handleRegistrationVerify())))
	mux.Handle("POST /api/v1/authentication/options", s.limited(s.handleAuthenticationOptions()))
	mux.Handle("POST /api/v1/authentication/verify", s.limited(s.signsIn(s.handleAuthenticationVerify())))

	mux.Handle("GET /api/v1/passkeys", s.requireSession(s.handlePasskeyList()))
	mux.Handle("PATCH /api/v1/passkeys/{id}", s.requireSession(s.handlePasskeyRename()))
	mux.Handle("DELETE /api/v1/passkeys/{id}", s.requireSession(s.handlePasskeyDelete()))

	mux.Handle("GET /api/v1/account/activity", s.requireSession(s.handleActivity()))
	mux.Handle("GET /api/v1/session", s.requireSession(s.handleSessionGet()))
	mux.Handle("DELETE /api/v1/session", s.requireSession(s.handleSessionDelete()))
	mux.Handle("GET /api/v1/sessions", s.requireSession(s.handleSessionList()))
	mux.Handle("DELETE /api/v1/sessions", s.requireSession(s.handleSessionRevokeOthers()))
	mux.Handle("DELETE /api/v1/sessions/{id}", s.requireSession(s.handleSessionRevoke()))
	mux.Handle("POST /api/v1/session/reauth/options", s.requireSession(s.handleReauthOptions()))
	mux.Handle("POST /api/v1/session/reauth", s.requireSession(s.secretLimited(s.handleReauth())))
	mux.Handle("DELETE /api/v1/account", s.requireSession(s.handleAccountDelete()))
	mux.Handle("POST /api/v1/session/token", s.feature(s.tokensEnabled, "signed tokens are", s.requireSession(s.handleSessionToken())))
	mux.Handle("GET /api/v1/authz", s.feature(s.tokensEnabled, "signed tokens are", s.handleAuthz()))
	mux.Handle("GET /.well-known/jwks.json", s.feature(s.tokensEnabled, "signed tokens are", s.handleJWKS()))

	mux.Handle("POST /api/v1/login/methods", s.limited(s.handleLoginMethods()))
	mux.Handle("POST /api/v1/password/signup", s.feature(s.Accounts.PasswordsEnabled, "passwords are", s.limited(s.signsIn(s.handlePasswordSignUp()))))
	mux.Handle("POST /api/v1/password/login", s.feature(s.Accounts.PasswordsEnabled, "passwords are", s.limited(s.signsIn(s.handlePasswordLogin()))))
	mux.Handle("PUT /api/v1/password", s.feature(s.Accounts.PasswordsEnabled, "passwords are", s.requireSession(s.secretLimited(s.handlePasswordChange()))))
	mux.Handle("DELETE /api/v1/password", s.feature(s.Accounts.PasswordsEnabled, "passwords are", s.requireSession(s.handlePasswordRemove())))
	mux.Handle("POST /api/v1/totp", s.feature(s.Accounts.TOTPEnabled, "TOTP is", s.requireSession(s.handleTOTPBegin())))
	mux.Handle("POST /api/v1/totp/confirm", s.feature(s.Accounts.TOTPEnabled, "TOTP is", s.requireSession(s.secretLimited(s.handleTOTPConfirm()))))
	mux.Handle("DELETE /api/v1/totp", s.feature(s.Accounts.TOTPEnabled, "TOTP is", s.requireSession(s.handleTOTPDelete())))
	mux.Handle("POST /api/v1/mfa/verify", s.feature(s.Accounts.SecondFactorEnabled, "no second factor is", s.limited(s.signsIn(s.handleMFAVerify()))))
	mux.Handle("POST /api/v1/recovery-codes", s.feature(s.Accounts.RecoveryCodesEnabled, "recovery codes are", s.requireSession(s.handleRecoveryCodesRegenerate())))
	mux.Handle("POST /api/v1/recovery/login", s.feature(s.Accounts.RecoveryCodesEnabled, "recovery codes are", s.limited(s.signsIn(s.handleRecoveryLogin()))))

	mux.Handle("GET /admin/v1/users", s.requireAdmin(s.handleAdminSearch()))
	mux.Handle("GET /admin/v1/users/{user}", s.requireAdmin(s.handleAdminUser()))
	mux.Handle("DELETE /admin/v1/users/{user}/passkeys/{id}", s.requireAdmin(s.handleAdminRevokePasskey()))
	mux.Handle("POST /admin/v1/users/{user}/passkeys/{id}/clear-clone-warning", s.requireAdmin(s.handleAdminClearCloneWarning()))
	mux.Handle("DELETE /admin/v1/users/{user}/sessions", s.requireAdmin(s.handleAdminRevokeSessions()))
	mux.Handle("GET /admin/v1/webhooks/dead", s.requireAdmin(s.feature(s.webhooksOn, "webhooks are", s.handleAdminDeadWebhooks())))
	mux.Handle("POST /admin/v1/webhooks/{id}/retry", s.requireAdmin(s.feature(s.webhooksOn, "webhooks are", s.handleAdminRetryWebhook())))
	mux.Handle("GET /admin/v1/aaguids", s.requireAdmin(s.handleAdminAAGUIDs()))
	mux.Handle("PUT /admin/v1/aaguids/{aaguid}", s.requireAdmin(s.handleAdminPutAAGUID()))
	mux.Handle("DELETE /admin/v1/aaguids/{aaguid}", s.requireAdmin(s.handleAdminDeleteAAGUID()))
	mux.Handle("GET /admin/v1/aaguids/{aaguid}/users", s.requireAdmin(s.handleAdminAAGUIDUsers()))
	mux.Handle("POST /admin/v1/aaguids/{aaguid}/revoke", s.requireAdmin(s.handleAdminRevokeAAGUID()))

	s.conformanceRoutes(mux) // FIDO2 conformance API, only when enabled
	mux.Handle("GET /.well-known/webauthn", s.handleWellKnown(func(w wellKnown) []byte { return w.webauthn }, "related origins"))
	mux.Handle("GET /.well-known/assetlinks.json", s.handleWellKnown(func(w wellKnown) []byte { return w.assetlinks }, "Android apps"))
	mux.Handle("GET /.well-known/apple-app-site-association", s.handleWellKnown(func(w wellKnown) []byte { return w.aasa }, "iOS apps"))
	mux.Handle("GET /admin/v1/oidc/clients", s.requireAdmin(s.feature(s.oidcOn, "OpenID Connect is", s.handleAdminOIDCClients())))
	mux.Handle("POST /admin/v1/oidc/clients", s.requireAdmin(s.feature(s.oidcOn, "OpenID Connect is", s.handleAdminAddOIDCClient())))
	mux.Handle("DELETE /admin/v1/oidc/clients/{id}", s.requireAdmin(s.feature(s.oidcOn, "OpenID Connect is", s.handleAdminRemoveOIDCClient())))
	if s.OIDC != nil {
		mux.Handle("GET /.well-known/openid-configuration", s.OIDC)
		mux.Handle("/oidc/", s.limited(s.OIDC))
	}

	mux.Handle("GET /api/openapi.json", s.handleOpenAPI())
	mux.Handle("GET /healthz", s.handleHealthz())
	mux.Handle("GET /readyz", s.handleReadyz())
	if !s.MetricsElsewhere {
		mux.Handle("GET /metrics", s.metrics.handler())
	}

	mux.Handle("/api/", s.handleAPINotFound())
	if s.Web != nil {
		mux.Handle("GET /{$}", s.Web)
		mux.Handle("GET /assets/", s.Web)
		mux.Handle("GET /return", s.handleReturn())
	}
}
