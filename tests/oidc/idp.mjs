// Identity providers for slipway's single sign-on tests (tests/api/test_sso.py), on loopback.
//
// 1. A real OpenID Connect provider: oidc-provider, configured as Auth0/Okta/Azure would be: clients
//    "slipway-rs" (ID tokens RS256) and "slipway-es" (ES256), client_secret_basic, PKCE required, a
//    "groups" scope and claim. IDP_CONFORM=0 puts the scopes' claims (groups among them) in the ID
//    token; =1 (oidc-provider's default) leaves them to the userinfo endpoint. Users are read from the
//    JSON file IDP_USERS at every login ({"sub": {email, email_verified, name, groups}}), so a test
//    changes a user's groups between logins. The login is programmatic: GET
//    /interaction/{uid}/login?user=SUB signs SUB in and grants the requested scopes.
// 2. A provider that misbehaves on purpose (oidc-provider will not): discovery, authorize, token and
//    JWKS, written with jose, whose token answer follows the mode set by POST /mode {"mode": ...}.
//    It checks the protocol itself: client_secret_basic credentials and the PKCE S256 verifier.
//
// Prints one JSON line, {"issuer", "fakeIssuer"}, once both listen. Ports: IDP_PORT, IDP_FAKE_PORT.
import http from "node:http";
import crypto from "node:crypto";
import fs from "node:fs";
import Provider from "oidc-provider";
import * as jose from "jose";

const port = Number(process.env.IDP_PORT), fakePort = Number(process.env.IDP_FAKE_PORT);
const issuer = `http://127.0.0.1:${port}`, fakeIssuer = `http://127.0.0.1:${fakePort}`;
const redirect = process.env.IDP_REDIRECT, secret = process.env.IDP_SECRET;
const users = () => JSON.parse(fs.readFileSync(process.env.IDP_USERS, "utf8"));

async function key(alg, kid) {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, jwk: { ...(await jose.exportJWK(publicKey)), kid, alg, use: "sig" },
           privateJwk: { ...(await jose.exportJWK(privateKey)), kid, alg, use: "sig" } };
}
const rs = await key("RS256", "rs-1"), es = await key("ES256", "es-1");

const client = (id, alg) => ({
  client_id: id, client_secret: secret, redirect_uris: [redirect], grant_types: ["authorization_code"],
  response_types: ["code"], token_endpoint_auth_method: "client_secret_basic", id_token_signed_response_alg: alg,
});
const provider = new Provider(issuer, {
  clients: [client("slipway-rs", "RS256"), client("slipway-es", "ES256")],
  jwks: { keys: [rs.privateJwk, es.privateJwk] },
  scopes: ["openid", "email", "profile", "groups"],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
  conformIdTokenClaims: process.env.IDP_CONFORM === "1",
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  cookies: { keys: [crypto.randomBytes(16).toString("hex")] },
  async findAccount(ctx, sub) {
    const u = users()[sub];
    return u && { accountId: sub, claims: async () => ({ sub, ...u }) };
  },
});
provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/[^/]+(\/login)?$/);
  if (!m) return next();
  if (!m[1]) { // the login page a browser would see
    ctx.body = `<title>Sign in</title><form method=get action="${ctx.path}/login"><label>User <input name=user></label></form>`;
    return;
  }
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const grant = new provider.Grant({ accountId: ctx.query.user, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  ctx.redirect(await provider.interactionResult(ctx.req, ctx.res,
    { login: { accountId: ctx.query.user }, consent: { grantId } }, { mergeWithLastSubmission: false }));
});

// ---- the fake ----
const fake = { mode: "ok", jwksFetches: 0, logins: new Map(), lastAuthorization: null, rotated: false };
// next: published once rotated; stranger: the published kid with another key; unpublished: a kid never in the set.
const next = await key("RS256", "rs-2"), stranger = await key("RS256", "rs-1"), unpublished = await key("RS256", "rs-9");
const b64 = (o) => Buffer.from(typeof o === "string" ? o : JSON.stringify(o)).toString("base64url");

async function idToken(login) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: fakeIssuer, sub: "fake-user", aud: "fake-client", iat: now, exp: now + 300, nonce: login.nonce,
                   email: "fake-user@example.com", email_verified: true, groups: ["staff"] };
  const mode = fake.mode;
  if (mode === "wrong_nonce") claims.nonce = "not-the-nonce";
  if (mode === "wrong_aud") claims.aud = "another-client";
  if (mode === "wrong_azp") { claims.aud = ["fake-client", "another-client"]; claims.azp = "another-client"; }
  if (mode === "wrong_iss") claims.iss = "http://127.0.0.1:1";
  if (mode === "expired") { claims.iat = now - 3600; claims.exp = now - 600; }
  if (mode === "future_iat") claims.iat = now + 600;
  if (mode === "within_skew") { claims.iat = now + 30; claims.exp = now - 30; } // a provider's clock 30 s off: taken
  if (mode === "alg_none") return `${b64({ alg: "none" })}.${b64(claims)}.`;
  if (mode === "hs256")
    return new jose.SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: "rs-1" }).sign(new TextEncoder().encode(secret));
  const k = mode === "rotated" ? next : mode === "bad_signature" ? stranger : mode === "unknown_kid" ? unpublished : rs;
  if (mode === "rotated") fake.rotated = true;
  const token = await new jose.SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: k.kid }).sign(k.privateKey);
  if (mode !== "tampered") return token;
  const [h, , s] = token.split(".");
  return `${h}.${b64({ ...claims, sub: "someone-else" })}.${s}`;
}

function reply(res, status, body, headers = {}) {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

const fakeServer = http.createServer(async (req, res) => {
  const url = new URL(req.url, fakeIssuer);
  let body = "";
  for await (const chunk of req) body += chunk;
  if (url.pathname === "/.well-known/openid-configuration")
    return reply(res, 200, { issuer: fakeIssuer, authorization_endpoint: `${fakeIssuer}/authorize`,
                             token_endpoint: `${fakeIssuer}/token`, jwks_uri: `${fakeIssuer}/jwks` });
  if (url.pathname === "/jwks") {
    fake.jwksFetches++;
    return reply(res, 200, { keys: fake.rotated ? [rs.jwk, next.jwk] : [rs.jwk] });
  }
  if (url.pathname === "/authorize") { // signs in at once
    const q = url.searchParams, code = crypto.randomBytes(16).toString("hex");
    fake.logins.set(code, { nonce: q.get("nonce"), challenge: q.get("code_challenge"), method: q.get("code_challenge_method"),
                            redirect: q.get("redirect_uri") });
    res.writeHead(302, { Location: `${q.get("redirect_uri")}?code=${code}&state=${encodeURIComponent(q.get("state"))}` });
    return res.end();
  }
  if (url.pathname === "/token" && req.method === "POST") {
    const form = new URLSearchParams(body), login = fake.logins.get(form.get("code"));
    fake.lastAuthorization = req.headers.authorization || null;
    const [id, pw] = Buffer.from((req.headers.authorization || "").replace(/^Basic /, ""), "base64").toString().split(":");
    if (decodeURIComponent(id || "") !== "fake-client" || decodeURIComponent(pw || "") !== secret)
      return reply(res, 401, { error: "invalid_client" });
    if (!login || form.get("grant_type") !== "authorization_code" || form.get("redirect_uri") !== login.redirect ||
        login.method !== "S256" ||
        crypto.createHash("sha256").update(form.get("code_verifier") || "").digest("base64url") !== login.challenge)
      return reply(res, 400, { error: "invalid_grant" });
    fake.logins.delete(form.get("code"));
    return reply(res, 200, { access_token: "fake-access", token_type: "Bearer", id_token: await idToken(login) });
  }
  if (url.pathname === "/mode" && req.method === "POST") {
    Object.assign(fake, { rotated: false, jwksFetches: 0 }, JSON.parse(body));
    return reply(res, 200, { mode: fake.mode });
  }
  if (url.pathname === "/stats") return reply(res, 200, { jwksFetches: fake.jwksFetches, lastAuthorization: fake.lastAuthorization });
  reply(res, 404, { error: "not_found" });
});

const server = http.createServer(provider.callback());
await new Promise((ok) => server.listen(port, "127.0.0.1", ok));
await new Promise((ok) => fakeServer.listen(fakePort, "127.0.0.1", ok));
console.log(JSON.stringify({ issuer, fakeIssuer }));
process.on("SIGTERM", () => process.exit(0));
