/**
 * Who may use the UI and how writes are protected: sessions in an HttpOnly, SameSite=Strict
 * cookie, an access token (from a file) when the UI is reachable from other machines, a CSRF
 * token on every write, a Host check against DNS rebinding on loopback, and redaction of
 * credentials from anything sent to the browser.
 */
import { randomBytes, timingSafeEqual, createHash } from "node:crypto";
import { readFileSync } from "node:fs";

export const SESSION_COOKIE = "k2ui_session";
export const CSRF_HEADER = "x-csrf-token";
/** Shortest access token accepted: guessing must be hopeless. */
export const MIN_TOKEN_LENGTH = 16;

export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthConfigError";
  }
}

/** The access token in a file (a mounted Secret): trimmed, long enough. */
export function readAuthToken(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AuthConfigError(`--auth-token-file ${file}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (error as Error).message}`);
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH) throw new AuthConfigError(`--auth-token-file ${file}: the token must be at least ${MIN_TOKEN_LENGTH} characters (openssl rand -hex 32 makes one)`);
  return token;
}

export function isLoopbackHost(host: string): boolean {
  return host === "127.0.0.1" || host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Constant-time comparison of secrets of any length. */
export function sameSecret(a: string, b: string): boolean {
  const left = createHash("sha256").update(a).digest();
  const right = createHash("sha256").update(b).digest();
  return timingSafeEqual(left, right);
}

export interface Session {
  readonly id: string;
  readonly csrf: string;
  authenticated: boolean;
  /** How other admins see this browser: "admin-3f2a". */
  readonly name: string;
  lastSeen: number;
}

const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;

export class Sessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly tokenRequired: boolean) {}

  get requiresToken(): boolean {
    return this.tokenRequired;
  }

  create(): Session {
    const id = randomBytes(32).toString("base64url");
    const session: Session = { id, csrf: randomBytes(32).toString("base64url"), authenticated: !this.tokenRequired, name: `admin-${randomBytes(2).toString("hex")}`, lastSeen: Date.now() };
    this.sessions.set(id, session);
    this.expire();
    return session;
  }

  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (Date.now() - session.lastSeen > SESSION_IDLE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = Date.now();
    return session;
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, session] of this.sessions) if (now - session.lastSeen > SESSION_IDLE_MS) this.sessions.delete(id);
  }
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const equals = part.indexOf("=");
    if (equals > 0 && part.slice(0, equals).trim() === name) return part.slice(equals + 1).trim();
  }
  return undefined;
}

/** Whether a write's CSRF token is the session's. */
export function csrfValid(session: Session | undefined, token: string | undefined): boolean {
  return session !== undefined && token !== undefined && token !== "" && sameSecret(session.csrf, token);
}

/**
 * On loopback, the Host header must name the loopback address the UI is bound to: a web page
 * elsewhere cannot reach it through a DNS name that it points at 127.0.0.1 (DNS rebinding).
 */
export function hostAllowed(hostHeader: string | undefined, boundHost: string, port: number): boolean {
  if (!isLoopbackHost(boundHost)) return true;
  if (hostHeader === undefined) return false;
  const allowed = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${boundHost}:${port}`]);
  return allowed.has(hostHeader.toLowerCase());
}

/** An Origin header, when present, must be this UI's own. */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === hostHeader;
  } catch {
    return false;
  }
}

const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|PASSWD|KEY|CONN|CREDENTIAL|AUTH)/i;

/**
 * Removes credentials from a message before it reaches a browser: the values of environment
 * variables whose names say they are secret (connection strings, API keys), and extra secrets
 * (the access token), as well as passwords in URLs.
 */
export function redactSecrets(message: string, env: NodeJS.ProcessEnv = process.env, extra: readonly string[] = []): string {
  const secrets = [...Object.entries(env).filter(([name, value]) => SECRET_NAME.test(name) && value !== undefined && value.length >= 6).map(([, value]) => value!), ...extra.filter((value) => value.length > 0)];
  secrets.sort((a, b) => b.length - a.length);
  let out = message;
  for (const secret of secrets) out = out.split(secret).join("[redacted]");
  return out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@\s/]+@/gi, "$1[redacted]@");
}
