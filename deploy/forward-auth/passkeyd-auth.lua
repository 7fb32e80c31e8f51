-- Forward authentication against passkeyd for HAProxy 2.6+ (its Lua httpclient; no other
-- library). For every request the action asks passkeyd's GET /api/v1/authz, passing the
-- request's Cookie and Authorization and the original method, scheme, host and URI, and
-- leaves the answer in transaction variables for haproxy.cfg to act on:
--
--   txn.passkeyd_ok          true when passkeyd answered 200 (a valid session)
--   txn.passkeyd_user_id, txn.passkeyd_username, txn.passkeyd_session_id,
--   txn.passkeyd_auth_method, txn.passkeyd_authorization ("Bearer <JWT>")
--   txn.passkeyd_rd          the original URL, percent-encoded, for the sign-in redirect
--
-- Usage: lua-load this file in the global section, then in a frontend:
--   http-request lua.passkeyd-auth http://127.0.0.1:8080/api/v1/authz
-- The httpclient resolves names with HAProxy's default resolvers; an address always works.

local identity = {
  ["x-passkeyd-user-id"] = "txn.passkeyd_user_id",
  ["x-passkeyd-username"] = "txn.passkeyd_username",
  ["x-passkeyd-session-id"] = "txn.passkeyd_session_id",
  ["x-passkeyd-auth-method"] = "txn.passkeyd_auth_method",
  ["authorization"] = "txn.passkeyd_authorization",
}

local function percent_encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

core.register_action("passkeyd-auth", { "http-req" }, function(txn, authz)
  local req = txn.http:req_get_headers()
  local ssl = txn.f:ssl_fc() -- a boolean or 0/1 depending on the version; 0 is true in Lua
  local scheme = (ssl == true or ssl == 1) and "https" or "http"
  local host = txn.f:req_hdr("host") or ""
  local uri = txn.f:pathq() or "/"
  local headers = {
    ["x-forwarded-method"] = { txn.f:method() },
    ["x-forwarded-proto"] = { scheme },
    ["x-forwarded-host"] = { host },
    ["x-forwarded-uri"] = { uri },
  }
  for _, name in ipairs({ "cookie", "authorization" }) do
    if req[name] and req[name][0] then
      headers[name] = { req[name][0] }
    end
  end
  txn:set_var("txn.passkeyd_rd", percent_encode(scheme .. "://" .. host .. uri))
  txn:set_var("txn.passkeyd_ok", false)
  local res = core.httpclient():get({ url = authz, headers = headers, timeout = 5000 })
  if not res or res.status ~= 200 then
    -- No session, or passkeyd unreachable: either way nothing reaches the app.
    return
  end
  for header, var in pairs(identity) do
    local v = res.headers and res.headers[header]
    if v and v[0] then
      txn:set_var(var, v[0])
    end
  end
  txn:set_var("txn.passkeyd_ok", true)
end, 1)
