// スマレジID login over HTTP, as a browser does it: our api's redirect, the Smaregi simulator's login
// form (fields read from the page), the redirect back to our callback. The one helper every test uses
// to link a contract (step 1) or to log in with スマレジID.

export interface SmaregiIdUser {
  email: string;
  password: string;
}

/** The user the Smaregi simulator creates for a contract seeded without `users` (DESIGN §6). */
export const simOwner = (contractId: string): SmaregiIdUser => ({ email: `owner@${contractId}.example`, password: 'sim-owner-password' });

/** How the browser is logged in to our api: a Bearer token, or cookies (`name=value; …`). */
export interface ApiCredentials {
  token?: string;
  cookie?: string;
}

export interface CallbackAnswer {
  status: number;
  /** The Location of a redirect (`/#/setup` on success). */
  location: string | null;
  /** The page of a refusal (HTML). */
  body: string;
  /** Cookies the callback set (`name=value` pairs), e.g. the session after a login. */
  cookies: string[];
  /** The callback URL as our api received it (path and query), to replay it. */
  callbackPath: string;
}

const headersOf = (auth: ApiCredentials, extraCookies: string[] = []): Record<string, string> => {
  const cookies = [auth.cookie, ...extraCookies].filter(Boolean).join('; ');
  return { ...(auth.token && { authorization: `Bearer ${auth.token}` }), ...(cookies && { cookie: cookies }) };
};

const cookiePairs = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]!);

/** Links the merchant's Smaregi contract through スマレジID and expects it to succeed. */
export async function linkSmaregiContract(apiUrl: string, auth: ApiCredentials, user: SmaregiIdUser): Promise<void> {
  const answer = await smaregiIdFlow(apiUrl, 'link', auth, user);
  if (answer.status !== 302 || answer.location !== '/#/setup') {
    throw new Error(`Smaregi contract link failed: ${answer.status} ${answer.location ?? ''} ${answer.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()}`);
  }
}

/** スマレジIDでログイン; answers the session cookie (`zaiko_session=…`). */
export async function logInWithSmaregiId(apiUrl: string, user: SmaregiIdUser): Promise<string> {
  const answer = await smaregiIdFlow(apiUrl, 'login', {}, user);
  const session = answer.cookies.find((c) => c.startsWith('zaiko_session=') && c !== 'zaiko_session=');
  if (answer.status !== 302 || !session) throw new Error(`Smaregi ID login failed: ${answer.status} ${answer.body}`);
  return session;
}

/**
 * The whole round trip: `GET /api/v1/auth/smaregi/{link|login}` → the simulator's form → submit →
 * our callback (sent to `apiUrl`, whatever PUBLIC_BASE_URL the api put in redirect_uri). Returns the
 * callback's answer without judging it. `tamper` may change the callback URL before it is followed.
 */
export async function smaregiIdFlow(
  apiUrl: string,
  purpose: 'link' | 'login',
  auth: ApiCredentials,
  user: SmaregiIdUser,
  opts: { tamper?: (callback: URL) => void } = {},
): Promise<CallbackAnswer> {
  const started = await startSmaregiIdFlow(apiUrl, purpose, auth, user);
  const callback = new URL(started.callbackPath, apiUrl);
  opts.tamper?.(callback);
  return followCallback(apiUrl, `${callback.pathname}${callback.search}`, auth, started.browserCookies);
}

/** Everything up to (not including) the callback: where スマレジID sends the browser, and the cookies that browser holds. */
export async function startSmaregiIdFlow(
  apiUrl: string,
  purpose: 'link' | 'login',
  auth: ApiCredentials,
  user: SmaregiIdUser,
): Promise<{ callbackPath: string; browserCookies: string[] }> {
  const start = await fetch(`${apiUrl}/api/v1/auth/smaregi/${purpose}`, { headers: headersOf(auth), redirect: 'manual' });
  const authorizeUrl = start.headers.get('location');
  if (start.status !== 302 || !authorizeUrl) throw new Error(`GET /auth/smaregi/${purpose}: ${start.status} ${await start.text()}`);
  const callback = new URL(await submitSmaregiIdForm(authorizeUrl, user));
  return { callbackPath: `${callback.pathname}${callback.search}`, browserCookies: cookiePairs(start) };
}

/** Opens the login form at `authorizeUrl`, fills it in and answers where スマレジID redirects (redirect_uri?code&state). */
export async function submitSmaregiIdForm(authorizeUrl: string, user: SmaregiIdUser): Promise<string> {
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`スマレジID login form: ${page.status} ${html}`);
  const form = new URLSearchParams(hiddenFields(html));
  form.set('email', user.email);
  form.set('password', user.password);
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? '/authorize';
  const submitted = await fetch(new URL(unescapeHtml(action), authorizeUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  const location = submitted.headers.get('location');
  if (submitted.status !== 302 || !location) throw new Error(`スマレジID login refused: ${submitted.status} ${await submitted.text()}`);
  return location;
}

/** Sends the browser to our callback (path + query), as the merchant's browser would after スマレジID. */
export async function followCallback(apiUrl: string, callbackPath: string, auth: ApiCredentials, browserCookies: string[] = []): Promise<CallbackAnswer> {
  const res = await fetch(`${apiUrl}${callbackPath}`, { headers: headersOf(auth, browserCookies), redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), body: await res.text(), cookies: cookiePairs(res), callbackPath };
}

function hiddenFields(html: string): [string, string][] {
  return [...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map((m) => [unescapeHtml(m[1]!), unescapeHtml(m[2]!)]);
}

function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, entity: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[entity]!);
}
