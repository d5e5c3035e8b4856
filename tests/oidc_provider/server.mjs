// A real OpenID provider for the suite (the oidc-provider package, certified by the OpenID
// Foundation), on loopback. Users of every role, one with no mapped role, one whose claim has the
// wrong type; the dashboard's client; client-credentials clients for case-management systems.
// Keys are made at start, so nothing secret is checked in. Prints one JSON line when listening.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const redirect = process.env.DASHBOARD_REDIRECT_URI;
const afterLogout = process.env.DASHBOARD_POST_LOGOUT_URI;
const audience = process.env.API_AUDIENCE || 'api://ap-journey';
const provider_id = '8f14e45f-ceea-467f-a0e6-a1b2c3d4e5f6';

// claims in the vocabulary of deploy/claim-mapping.json (Entra app roles and groups, DfE Sign-in)
const USERS = {
  officer: { roles: ['AP.LaOfficer'] },
  auditor: { roles: ['AP.Auditor'] },
  analyst: { groups: ['ap-analysts'] },
  school: { organisation: { id: 'org-1', urn: '123456', name: 'Hill Top School' } },
  provider: { ap_provider_id: provider_id },
  nobody: { roles: ['Finance.Reader'] },
  wrongtype: { organisation: { id: 'org-2', urn: 123456 } },
};
const MACHINES = {
  'cms-la': { roles: ['AP.LaOfficer'] },
  'cms-school': { organisation: { urn: '123456' } },
  'cms-provider': { ap_provider_id: provider_id },
  'cms-nobody': { roles: ['Finance.Reader'] },
};

const key = (type, options, alg, kid) => ({
  ...generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' }), alg, kid, use: 'sig',
});

const machine = (id) => ({
  client_id: id, client_secret: `${id}-secret`, grant_types: ['client_credentials'],
  redirect_uris: [], response_types: [], ap_claims: MACHINES[id],
});

const configuration = {
  jwks: {
    keys: [key('rsa', { modulusLength: 2048 }, 'RS256', 'rs1'), key('ec', { namedCurve: 'P-256' }, 'ES256', 'es1')],
  },
  clients: [
    {
      client_id: 'ap-dashboard', client_secret: 'ap-dashboard-secret',
      redirect_uris: [redirect], post_logout_redirect_uris: [afterLogout],
      grant_types: ['authorization_code'], response_types: ['code'],
    },
    // a second client: its ID tokens carry another audience (the dashboard must refuse them)
    {
      client_id: 'other-app', client_secret: 'other-app-secret', redirect_uris: [redirect],
      grant_types: ['authorization_code'], response_types: ['code'],
    },
    ...Object.keys(MACHINES).map(machine),
  ],
  extraClientMetadata: { properties: ['ap_claims'] },
  claims: {
    openid: ['sub'], profile: ['name'], email: ['email'],
    ap: ['roles', 'groups', 'organisation', 'ap_provider_id'],
  },
  scopes: ['openid', 'ap', 'profile', 'email'],
  conformIdTokenClaims: false, // the ap scope's claims go into the ID token, as Entra's do
  async findAccount(ctx, id) {
    if (!USERS[id]) return undefined;
    // a name and an e-mail address as a real IdP sends them: the suite checks neither is logged
    const person = { name: `Person ${id}`, email: `${id}@people.example` };
    return { accountId: id, async claims() { return { sub: id, ...person, ...USERS[id] }; } };
  },
  async loadExistingGrant(ctx) {
    // first-party: consent is implied, as for an app an LA's admin has consented to
    const accountId = ctx.oidc.session.accountId;
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
    grant.addOIDCScope('openid ap profile email');
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: true }, // the package's own login form: any known login
    rpInitiatedLogout: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => audience,
      useGrantedResource: async () => false,
      getResourceServerInfo: async () => ({
        scope: 'journey', audience, accessTokenTTL: 600,
        accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  async extraTokenClaims(ctx, token) {
    if (token.kind !== 'ClientCredentials') return undefined;
    const client = await ctx.oidc.provider.Client.find(token.clientId);
    return client?.ap_claims;
  },
  ttl: { IdToken: 300, AccessToken: 600, ClientCredentials: 600, Session: 3600, Interaction: 600 },
  pkce: { required: () => true },
  cookies: { keys: [Math.random().toString(36).slice(2)] },
};

const oidc = new Provider(issuer, configuration);
oidc.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
