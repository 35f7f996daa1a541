import { newAppToken, newCode, newUserToken } from './secrets';
import type { Decision, Persona, SandboxClient, SandboxStats } from './types';

export interface SandboxConfig {
  expiresIn: number;
  codeTtl: number;
  appTokenMinInterval: number;
  clients: Map<string, SandboxClient>;
  decision: Decision;
  persona: Persona;
  /** The sandbox's own base URL, for the links in /me; set once the server listens. */
  apiUrl: string;
}

export interface CodeRecord {
  clientId: string;
  /** Exactly what /oauth/authorize received, undefined when it had no redirect_uri. */
  redirectUri: string | undefined;
  persona: Persona;
  issuedAt: number;
  used: boolean;
}

export interface UserPair {
  accessToken: string;
  refreshToken: string;
  clientId: string;
  persona: Persona;
  expiresAt: number;
  /** 'refreshed': the refresh token was spent and this pair replaced; 'revoked': DELETE /oauth/token. */
  state: 'active' | 'refreshed' | 'revoked';
}

export interface AppToken {
  token: string;
  clientId: string;
  issuedAt: number;
  /** False once a newer app token replaced it or it was revoked. */
  active: boolean;
}

/** All mutable sandbox state; handlers get it passed in so that they stay plain functions. */
export class SandboxState {
  readonly codes = new Map<string, CodeRecord>();
  readonly pairsByAccess = new Map<string, UserPair>();
  readonly pairsByRefresh = new Map<string, UserPair>();
  readonly appTokens = new Map<string, AppToken>();
  readonly latestAppToken = new Map<string, AppToken>();
  readonly stats: SandboxStats = {
    grants: { authorization_code: 0, refresh_token: 0, client_credentials: 0 },
    refreshed: 0,
    exchanged: 0,
    meCalls: 0,
    revoked: 0,
    rateLimited: 0,
  };
  private readonly secrets: string[] = [];

  constructor(readonly config: SandboxConfig) {
    for (const c of config.clients.values()) this.remember(c.clientSecret);
  }

  /** Every secret value ever handed out, so tests can scan output for leaks. */
  remember(secret: string): string {
    this.secrets.push(secret);
    return secret;
  }

  issued(): string[] {
    return [...this.secrets];
  }

  issueCode(clientId: string, redirectUri: string | undefined, now: number): string {
    const code = this.remember(newCode());
    this.codes.set(code, { clientId, redirectUri, persona: this.config.persona, issuedAt: now, used: false });
    return code;
  }

  issuePair(clientId: string, persona: Persona, now: number): UserPair {
    const pair: UserPair = {
      accessToken: this.remember(newUserToken()),
      refreshToken: this.remember(newUserToken()),
      clientId,
      persona,
      expiresAt: now + this.config.expiresIn * 1000,
      state: 'active',
    };
    this.pairsByAccess.set(pair.accessToken, pair);
    this.pairsByRefresh.set(pair.refreshToken, pair);
    return pair;
  }

  issueAppToken(clientId: string, now: number): AppToken {
    const previous = this.latestAppToken.get(clientId);
    if (previous) previous.active = false;
    const app: AppToken = { token: this.remember(newAppToken()), clientId, issuedAt: now, active: true };
    this.appTokens.set(app.token, app);
    this.latestAppToken.set(clientId, app);
    return app;
  }

  /** Shaped like a real answer but registered nowhere: what faults put on the wire. */
  decoyTokens(): { access: string; refresh: string } {
    return { access: this.remember(newUserToken()), refresh: this.remember(newUserToken()) };
  }
}
