// A downstream service as a Node team would write it: it trusts passkeyd's access tokens by
// verifying them against the remote JWK Set, never calling passkeyd per request.
//
// Environment: JWKS_URL, ISSUER, AUDIENCE, CACHE_MAX_AGE_MS (how long the key set is
// cached). The cool-down is long on purpose: an unknown kid does not make jose fetch the set
// again, so a token verifies only if its key was published before the set was last fetched
// on schedule. The server listens on a free loopback port and prints "listening PORT".
import http from "node:http";
import { createRemoteJWKSet, jwtVerify } from "jose";

const jwks = createRemoteJWKSet(new URL(process.env.JWKS_URL), {
  cacheMaxAge: Number(process.env.CACHE_MAX_AGE_MS || 1000),
  cooldownDuration: 3600_000,
});

const server = http.createServer(async (req, res) => {
  const auth = req.headers.authorization || "";
  const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
  try {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: process.env.ISSUER,
      audience: process.env.AUDIENCE,
      algorithms: ["ES256", "EdDSA"],
    });
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ sub: payload.sub, sid: payload.sid, kid: protectedHeader.kid, amr: payload.amr }));
  } catch (err) {
    res.writeHead(401, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: String(err && err.code ? err.code + ": " + err.message : err) }));
  }
});
server.listen(0, "127.0.0.1", () => console.log("listening " + server.address().port));
