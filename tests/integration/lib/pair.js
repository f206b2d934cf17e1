// A gatehouse and the test IdP it signs in through, on 127.0.0.1.
import { Gatehouse, freePort } from './gatehouse.js';
import { startIdp } from './idp.js';

// A gatehouse in front of up, signed in through idp; port fixed first
// because the IdP must know the redirect_uri.
export async function startPair({ idpOpts = {}, config = {}, up } = {}) {
  const port = await freePort();
  const idp = await startIdp({ redirectUris: [`http://127.0.0.1:${port}/oauth2/callback`], ...idpOpts });
  const gh = await new Gatehouse({
    port,
    config: {
      workers: 1, skip_oidc_discovery: false, oidc_issuer_url: idp.issuer, cookie_secure: false,
      ...(up ? { upstreams: [`${up.url}/`] } : {}), ...config,
    },
  }).start();
  return { idp, gh, base: `http://127.0.0.1:${port}` };
}

