import { errnoCode } from '../errors';

/**
 * Why a request to the public HH_REDIRECT_URI got no HTTP answer at all (DNS, TLS, a
 * refused connection, a timeout), in one sentence and one fix. One judgement for the two
 * places that send such a request: `hh-oauth login`'s reachability probe and doctor's
 * callback check. A setup to fix is exit 3 (config); a hiccup worth retrying as it is
 * (a resolver that did not answer, a timeout) is exit 6 (temporary).
 */
export type ProbeCause = 'dns' | 'tls' | 'refused' | 'timeout' | 'upstream' | 'not-routed' | 'rate-limited' | 'http' | 'other';

export interface Diagnosis {
  cause: ProbeCause;
  /** What happened, in one sentence, safe to print. */
  detail: string;
  hint: string;
  /** Worth retrying as is (a network hiccup) rather than a setup to fix. */
  temporary: boolean;
}

/** The contract's category of a diagnosis: what `login --check-only` and doctor exit with. */
export const diagnosisCode = (d: Diagnosis): 'temporary' | 'config' => (d.temporary ? 'temporary' : 'config');

const TLS_CODE = /CERT|SSL|TLS|^EPROTO$|UNABLE_TO_|SELF_SIGNED|HOSTNAME_MISMATCH/;
// Some routers cannot reach their own public address from inside (no hairpin NAT).
const HAIRPIN = 'from inside the LAN the router may not loop its public address back (hairpin NAT): try from outside';

/** fetch's failure, reduced to the errno-like code that names the cause (the first one down its chain of causes). */
export function failureCode(err: unknown): string | undefined {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'TIMEOUT';
  let cause: unknown = err;
  for (let depth = 0; depth < 5 && cause; depth++) {
    const code = errnoCode(cause);
    if (code) return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

export function diagnoseNetworkError(err: unknown, url: URL, timeoutSeconds: number): Diagnosis {
  const code = failureCode(err);
  const host = url.hostname;
  const where = `${url.protocol}//${url.host}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_NODATA') {
    // EAI_AGAIN: the resolver did not answer (no network yet, a DNS server down), so the
    // name may well exist; the others: the resolver answered that it does not.
    const again = code === 'EAI_AGAIN';
    return {
      cause: 'dns',
      detail: `the name ${host} does not resolve (DNS, ${code}${again ? ': the resolver did not answer' : ''})`,
      hint: again
        ? `try again in a minute; if it persists, check this machine's resolver (/etc/resolv.conf, \`resolvectl status\`); \`getent hosts ${host}\` shows what this machine resolves`
        : `check the host name in HH_REDIRECT_URI and its DNS record (the KeenDNS name, or the domain's A/AAAA record); \`getent hosts ${host}\` shows what this machine resolves`,
      temporary: again,
    };
  }
  if (code && TLS_CODE.test(code)) {
    const plainPort = code.includes('WRONG_VERSION') || code === 'EPROTO';
    return {
      cause: 'tls',
      detail: plainPort
        ? `${where} does not speak TLS (${code}): an https:// redirect URI on a plain-HTTP port`
        : `the TLS certificate of ${host} was refused (${code})`,
      hint: plainPort
        ? 'use the port where TLS ends (443 at KeenDNS), or http:// if TLS really is not used'
        : 'renew or fix the certificate (it must be valid for this exact name and chain to a public CA); KeenDNS issues one for its names',
      temporary: false,
    };
  }
  if (code === 'ECONNREFUSED') {
    return {
      cause: 'refused',
      detail: `nothing listens at ${where} (connection refused)`,
      hint: `start the proxy that serves ${url.host} (\`sudo systemctl start nginx\`; \`systemctl status nginx\` says why it stopped), and check the port in HH_REDIRECT_URI and any port forwarding on the router`,
      temporary: false,
    };
  }
  if (code === 'TIMEOUT' || code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return {
      cause: 'timeout',
      detail: `no answer from ${where} within ${timeoutSeconds} s`,
      hint: `a firewall or a missing port forward usually swallows the request; ${HAIRPIN}`,
      temporary: true,
    };
  }
  return {
    cause: 'other',
    detail: `the request to ${where} failed (${code ?? (err instanceof Error ? err.message : String(err))})`,
    hint: `check HH_REDIRECT_URI, and that this machine can reach it (\`curl -v\` the redirect URI); ${HAIRPIN}`,
    temporary: true,
  };
}
