import { z } from 'zod';
import { PlatformError } from '../http';
import type { SmaregiTransport } from './transport';

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive(),
  scope: z.string().optional(),
});

interface CachedToken {
  value: string;
  refreshAt: number;
}

export interface AppTokenProviderOptions {
  transport: SmaregiTransport;
  idBaseUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  now: () => number;
}

/** The longest we refresh before expiry; shorter for short-lived tokens (10% of the lifetime). */
const MAX_REFRESH_MARGIN_MS = 60_000;

/**
 * App access tokens (client credentials), one per contract, cached until shortly before they
 * expire. Concurrent callers for one contract share a single token request.
 */
export class AppTokenProvider {
  private readonly cache = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();

  constructor(private readonly opts: AppTokenProviderOptions) {}

  async get(contractId: string): Promise<string> {
    const cached = this.cache.get(contractId);
    if (cached && this.opts.now() < cached.refreshAt) return cached.value;
    let pending = this.pending.get(contractId);
    if (!pending) {
      pending = this.request(contractId).finally(() => this.pending.delete(contractId));
      this.pending.set(contractId, pending);
    }
    const token = await pending;
    this.cache.set(contractId, token);
    return token.value;
  }

  /** Forgets `token` (the API rejected it) unless a newer one has already replaced it. */
  drop(contractId: string, token: string): void {
    if (this.cache.get(contractId)?.value === token) this.cache.delete(contractId);
  }

  private async request(contractId: string): Promise<CachedToken> {
    const basic = Buffer.from(`${this.opts.clientId}:${this.opts.clientSecret}`).toString('base64');
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: this.opts.scopes.join(' ') });
    const res = await this.opts.transport.send({
      contractId,
      kind: 'read', // token requests reportedly count against the read limit ([U] §4.4)
      method: 'POST',
      url: `${this.opts.idBaseUrl}/app/${encodeURIComponent(contractId)}/token`,
      headers: {
        Authorization: `Basic ${basic}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: form.toString(),
      idempotent: true,
    });
    const parsed = tokenResponseSchema.safeParse(res.body);
    if (!parsed.success) {
      throw new PlatformError(
        `Smaregi token response for contract ${contractId} is not a token: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        {
          platform: 'smaregi',
          status: res.status,
          retryable: false,
          kind: 'protocol',
        },
      );
    }
    const lifetimeMs = parsed.data.expires_in * 1000;
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs / 10);
    return { value: parsed.data.access_token, refreshAt: this.opts.now() + lifetimeMs - margin };
  }
}
