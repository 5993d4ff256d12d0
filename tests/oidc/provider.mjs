// A real OpenID Connect provider (oidc-provider) for the single sign-on
// tests (tests/process/oidc.rs). Usage:
//   node provider.mjs <port> <redirect_uri>
// Prints one JSON line {"issuer": …} once it listens.
//
// - Clients: "licensedesk" (ID tokens signed RS256) and "licensedesk-es256"
//   (ES256), both with the secret "licensedesk-secret" and the redirect URI.
// - Accounts: any login typed into the development login form is an account
//   whose e-mail is the login; e-mails starting with "unverified" are
//   reported with email_verified=false.
// - Faults for the tests: `GET /__test/next-id-token?fault=wrong-audience`
//   (or `expired`) makes the next token answer carry an ID token re-signed
//   with the provider's own key but with another audience, or expired an
//   hour ago; `fault=resigned` re-signs it unchanged (the control: re-signing
//   alone is accepted). One answer only.
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';
import Provider from 'oidc-provider';

const [port, redirectUri] = process.argv.slice(2);
if (!port || !redirectUri) {
  console.error('usage: node provider.mjs <port> <redirect_uri>');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

async function signingKey(alg, kid) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
}
const keys = [await signingKey('RS256', 'rsa-1'), await signingKey('ES256', 'ec-1')];

const secret = 'licensedesk-secret';
const client = (client_id, alg) => ({
  client_id,
  client_secret: secret,
  redirect_uris: [redirectUri],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  id_token_signed_response_alg: alg,
});

const provider = new Provider(issuer, {
  clients: [client('licensedesk', 'RS256'), client('licensedesk-es256', 'ES256')],
  jwks: { keys },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // The e-mail in the ID token itself (not only from the userinfo endpoint).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        const name = id.split('@')[0];
        return { sub: id, email: id, email_verified: !id.startsWith('unverified'), name };
      },
    };
  },
});

let fault = null;
provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/next-id-token') {
    fault = ctx.query.fault || null;
    ctx.body = { fault };
    return;
  }
  await next();
  if (ctx.path === '/token' && fault && ctx.body && ctx.body.id_token) {
    const claims = decodeJwt(ctx.body.id_token);
    const header = decodeProtectedHeader(ctx.body.id_token);
    const now = Math.floor(Date.now() / 1000);
    if (fault === 'wrong-audience') {
      claims.aud = 'someone-else';
    } else if (fault === 'expired') {
      claims.iat = now - 7200;
      claims.exp = now - 3600;
    }
    const jwk = keys.find((k) => k.kid === header.kid);
    const key = await importJWK(jwk, header.alg);
    ctx.body = { ...ctx.body, id_token: await new SignJWT(claims).setProtectedHeader(header).sign(key) };
    fault = null;
  }
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(JSON.stringify({ issuer }));
});
