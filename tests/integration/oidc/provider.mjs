// A real OpenID provider for fasit's sign-in tests: oauth2-mock-server (authorization code
// with PKCE, discovery, JWKS, RS256 ID tokens carrying the request's nonce) on 127.0.0.1, plus
// a small control listener through which a test says who signs in next and how the next ID
// token goes wrong, and reads which clients signed a browser out at the provider. Started and stopped by tests/integration/oidc/provider.py; prints one JSON
// line {"issuer": URL, "control": URL} once both listen.
import http from "node:http";
import { OAuth2Server } from "oauth2-mock-server";

const server = new OAuth2Server();
let signingKid = (await server.issuer.keys.generate("RS256")).kid;
const buildToken = server.issuer.buildToken.bind(server.issuer);
server.issuer.buildToken = (opts) => buildToken({ ...opts, kid: signingKid });

// What the next sign-in's ID token says and how it is spoiled (one of: "", "signature",
// "expired", "nonce", "audience", "issuer"); a sign-in uses it and it resets.
let next = { claims: {}, spoil: "" };

server.service.on("beforeTokenSigning", (token) => {
  if (!("aud" in token.payload)) return; // the access token: fasit never reads it
  Object.assign(token.payload, next.claims);
  const now = Math.floor(Date.now() / 1000);
  if (next.spoil === "expired") Object.assign(token.payload, { iat: now - 7200, nbf: now - 7200, exp: now - 3600 });
  if (next.spoil === "nonce") token.payload.nonce = "a-nonce-fasit-never-sent";
  if (next.spoil === "audience") token.payload.aud = "another-client";
  if (next.spoil === "issuer") token.payload.iss = "http://127.0.0.1:1/another-issuer";
});

server.service.on("beforeResponse", (response) => {
  const idToken = response.body.id_token;
  if (next.spoil === "signature" && typeof idToken === "string") {
    // A forgery: the claims changed to another person's, a fleet admin, the provider's
    // signature kept.
    const [header, payload, signature] = idToken.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    claims.sub = `${claims.sub}-forged`;
    claims.groups = ["fleet-admins"];
    const forged = Buffer.from(JSON.stringify(claims)).toString("base64url");
    response.body.id_token = `${header}.${forged}.${signature}`;
  }
  next = { claims: {}, spoil: "" };
});

// Each sign-out at the provider (RP-Initiated Logout): the client that asked, where it goes back.
const signedOut = [];
server.service.on("beforePostLogoutRedirect", (redirect, req) => {
  signedOut.push({ client_id: req.query.client_id ?? null, post_logout_redirect_uri: req.query.post_logout_redirect_uri });
});

await server.start(0, "127.0.0.1");
server.issuer.url = `http://127.0.0.1:${server.address().port}`; // not "localhost": one address

const control = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => { body += chunk; });
  req.on("end", async () => {
    try {
      if (req.method === "POST" && req.url === "/next") {
        const given = JSON.parse(body);
        next = { claims: given.claims ?? {}, spoil: given.spoil ?? "" };
      } else if (req.method === "POST" && req.url === "/rotate") {
        signingKid = (await server.issuer.keys.generate("RS256")).kid;
      } else if (req.method === "POST" && req.url === "/signed-out") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ signed_out: signedOut }));
        return;
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ kid: signingKid }));
    } catch (error) {
      res.writeHead(400).end(String(error));
    }
  });
});
control.listen(0, "127.0.0.1", () => {
  const port = control.address().port;
  console.log(JSON.stringify({ issuer: server.issuer.url, control: `http://127.0.0.1:${port}` }));
});

const stop = async () => { control.close(); await server.stop(); process.exit(0); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
