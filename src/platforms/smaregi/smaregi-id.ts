import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { PlatformError, isRetryableStatus, kindForStatus, type FetchLike } from '../http';

/**
 * スマレジID login for people (authorization code + PKCE S256 + userinfo, smaregi-api.md §2.2). The
 * flow is [S] (working code) with [U] parameter details; everything unconfirmed about it is isolated
 * in this file (docs/platform-assumptions.md, "スマレジID login").
 */
export interface SmaregiIdOptions {
  idBaseUrl: string;
  clientId: string;
  clientSecret: string;
  fetch?: FetchLike;
  timeoutMs?: number;
}

/** Who logged in: the contract and whether they are its owner. */
export interface SmaregiIdentity {
  contractId: string;
  userId: string;
  isOwner: boolean;
}

/** ASSUMPTION ([U]): `openid` is enough for userinfo to carry `contract`; `email` is asked for the record only. */
export const SMAREGI_ID_SCOPES = ['openid', 'email'] as const;

/** A PKCE pair (RFC 7636): the verifier stays with us, the S256 challenge goes to the ID server. */
export function newPkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier, 'ascii').digest('base64url') };
}

const tokenAnswer = z.object({ access_token: z.string().min(1) });

const userinfoAnswer = z.object({
  sub: z.string().optional(),
  contract: z.object({
    id: z.string().min(1),
    user_id: z.union([z.string(), z.number()]).transform(String),
    is_owner: z.unknown(),
  }),
});

/**
 * ASSUMPTION ([S], type not documented): `contract.is_owner` is a JSON boolean in the samples; a
 * string or number form is read too, anything else counts as "not the owner".
 */
function isOwnerFlag(value: unknown): boolean {
  return value === true || value === 'true' || value === 1 || value === '1';
}

export class SmaregiIdClient {
  private readonly fetch: FetchLike;

  constructor(private readonly opts: SmaregiIdOptions) {
    this.fetch = opts.fetch ?? fetch;
  }

  /** Where the merchant's browser is sent to log in. */
  authorizeUrl(request: { state: string; codeChallenge: string; redirectUri: string }): string {
    const url = new URL('/authorize', this.opts.idBaseUrl);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.opts.clientId,
      scope: SMAREGI_ID_SCOPES.join(' '),
      state: request.state,
      redirect_uri: request.redirectUri,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return url.toString();
  }

  /** Exchanges the code for a user token and reads who logged in. The token is used once and dropped. */
  async identify(grant: { code: string; codeVerifier: string; redirectUri: string }): Promise<SmaregiIdentity> {
    const basic = Buffer.from(`${this.opts.clientId}:${this.opts.clientSecret}`).toString('base64');
    const token = tokenAnswer.safeParse(
      await this.call('/authorize/token', {
        headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: grant.code, redirect_uri: grant.redirectUri, code_verifier: grant.codeVerifier }).toString(),
      }),
    );
    if (!token.success) throw protocolError('the token answer has no access_token');
    const info = userinfoAnswer.safeParse(await this.call('/userinfo', { headers: { Authorization: `Bearer ${token.data.access_token}` } }));
    if (!info.success) throw protocolError('userinfo has no contract');
    const { contract } = info.data;
    return { contractId: contract.id, userId: contract.user_id, isOwner: isOwnerFlag(contract.is_owner) };
  }

  private async call(path: string, init: { headers: Record<string, string>; body?: string }): Promise<unknown> {
    let res: Response;
    try {
      res = await this.fetch(new URL(path, this.opts.idBaseUrl), {
        method: 'POST',
        headers: { Accept: 'application/json', ...init.headers },
        ...(init.body !== undefined && { body: init.body }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
        redirect: 'error',
      });
    } catch (err) {
      throw new PlatformError(`Smaregi ID ${path} unreachable: ${(err as Error).message}`, { platform: 'smaregi', retryable: true, kind: 'network' });
    }
    const text = await res.text();
    if (!res.ok) {
      // The body of an error answer is not logged: it may echo the code.
      throw new PlatformError(`Smaregi ID ${path} answered ${res.status}`, {
        platform: 'smaregi',
        status: res.status,
        retryable: isRetryableStatus(res.status),
        kind: kindForStatus(res.status),
      });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw protocolError(`${path} did not answer JSON`);
    }
  }
}

const protocolError = (message: string) => new PlatformError(`Smaregi ID: ${message}`, { platform: 'smaregi', retryable: false, kind: 'protocol' });
