// A real OpenID Connect provider (the npm package oidc-provider, pinned in package.json) for
// tests/test_oidc_login.py. Test use only: it listens on 127.0.0.1, keeps everything in memory and signs
// in with oidc-provider's own development login form (any password; the login picks the account).
//
//   node tests/oidc/provider.js <port>        (or OIDC_PORT)
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET        the one client
//   OIDC_REDIRECT_URI                         its redirect URI(s), separated by spaces; each is also allowed
//                                             as post_logout_redirect_uri (Streamlit's st.logout uses it)
//
// Prints "ready <issuer>" on stdout when it listens.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider, { interactionPolicy } from 'oidc-provider';

// The accounts: the login typed into the form -> the claims. The login is the account id, and oidc-provider
// makes the account id the `sub` claim: fixed, and not the e-mail, as a real provider's is.
// tests/test_oidc_login.py imports a staff list with these e-mails.
export const ACCOUNTS = {
  chef: { email: 'karin.chef@gransby.example', email_verified: true, name: 'Karin Chef' },
  medarbetare: { email: 'Mats.Medarbetare@gransby.example', email_verified: true, name: 'Mats Medarbetare' },
  admin: { email: 'ada.admin@gransby.example', email_verified: true, name: 'Ada Admin' },
  slutat: { email: 'sven.slutat@gransby.example', email_verified: true, name: 'Sven Slutat' },
  okand: { email: 'olle.okand@gransby.example', email_verified: true, name: 'Olle Okänd' },
  overifierad: { email: 'vera.overifierad@gransby.example', email_verified: false, name: 'Vera Overifierad' },
};

const port = Number(process.argv[2] || process.env.OIDC_PORT);
const clientId = process.env.OIDC_CLIENT_ID;
const clientSecret = process.env.OIDC_CLIENT_SECRET;
const redirectUris = (process.env.OIDC_REDIRECT_URI || '').split(/\s+/).filter(Boolean);
if (!Number.isInteger(port) || port <= 0 || !clientId || !clientSecret || redirectUris.length === 0) {
  console.error('usage: OIDC_CLIENT_ID=.. OIDC_CLIENT_SECRET=.. OIDC_REDIRECT_URI=.. node provider.js <port>');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

// Streamlit asks for prompt=select_account (as Entra ID understands it). oidc-provider's default policy knows
// only login and consent, and refuses an unknown prompt; accept this one without an interaction of its own:
// with no session at the provider the login prompt shows the form anyway.
const policy = interactionPolicy.base();
const selectAccount = new interactionPolicy.Prompt({ name: 'select_account', requestable: true });
selectAccount.checks.clear();
policy.add(selectAccount);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUris,
    post_logout_redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    require_auth_time: true,
  }],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  scopes: ['openid', 'email', 'profile'],
  // Streamlit takes the user's claims from the ID token (Authlib's parsed `userinfo`), not from the
  // userinfo endpoint: put the scopes' claims into the ID token, as Entra ID does.
  conformIdTokenClaims: false,
  findAccount(_ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
  // A first-party client: no consent screen (an Entra ID tenant's admin consent does the same).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  interactions: { policy },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  jwks: { keys: [privateKey.export({ format: 'jwk' })] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
});

// The provider's built-in pages import a web font from the internet; the test runs on loopback only.
provider.use(async (ctx, next) => {
  await next();
  if (typeof ctx.body === 'string' && ctx.response.is('html')) {
    ctx.body = ctx.body.replace(/@import url\(https?:[^)]*\);?/g, '');
  }
});

const server = createServer(provider.callback());
server.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
