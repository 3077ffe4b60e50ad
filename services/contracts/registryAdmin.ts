import { ContractConfigError, RegistryUnavailableError, SchemaRegistrationError } from '../errors/medistillErrors.ts';

/** Where the registry's Confluent-compatible API is, and how to reach it. */
export interface RegistryConnection {
  /** Base URL of the Confluent-compatible API, e.g. `http://127.0.0.1:8080/apis/ccompat/v7` for Apicurio. */
  registryUrl: string;
  auth?: { username: string; password: string };
  /** Deadline of each request. Default 10 s. */
  timeoutMs?: number;
}

/** Compatibility levels of the Confluent API. */
export type CompatibilityLevel =
  | 'NONE'
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE';

/** The registry calls the schema-registry client library does not make: subject config, compatibility tests. */
export interface RegistryAdmin {
  /** The compatibility level the registry reports for a subject; null when it knows no such subject. */
  subjectCompatibility(subject: string): Promise<CompatibilityLevel | null>;
  /** Sets a subject's own compatibility level (allowed before the subject's first version). */
  setSubjectCompatibility(subject: string, level: CompatibilityLevel): Promise<void>;
  /** Whether a schema may become the subject's next version (true for a subject with no versions). */
  isCompatible(subject: string, schema: unknown): Promise<boolean>;
  /** Registers a schema as the subject's next version (or finds the identical one); returns its id. */
  registerVersion(subject: string, schema: unknown): Promise<number>;
  /** The subject's version numbers, oldest first; empty for an unknown subject. */
  versions(subject: string): Promise<number[]>;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** Checks the URL and timeout a registry client is given; throws ContractConfigError saying how to fix them. */
export function checkRegistryConnection(connection: RegistryConnection): { baseUrl: string; timeoutMs: number } {
  let url: URL;
  try {
    url = new URL(connection.registryUrl);
  } catch {
    throw new ContractConfigError(
      `registryUrl "${connection.registryUrl}" is not a URL; give the Confluent-compatible base, e.g. http://host:8080/apis/ccompat/v7`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ContractConfigError(`registryUrl "${connection.registryUrl}" must be http or https`);
  }
  const timeoutMs = connection.timeoutMs ?? 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ContractConfigError(`timeoutMs must be a positive number of milliseconds, got ${connection.timeoutMs}`);
  }
  return { baseUrl: connection.registryUrl.replace(/\/+$/, ''), timeoutMs };
}

/** A small fetch-based client for the registry's admin calls, every request with a deadline. */
export function createRegistryAdmin(connection: RegistryConnection): RegistryAdmin {
  const { baseUrl, timeoutMs } = checkRegistryConnection(connection);
  const headers: Record<string, string> = { Accept: CONTENT_TYPE, 'Content-Type': CONTENT_TYPE };
  if (connection.auth) {
    const token = Buffer.from(`${connection.auth.username}:${connection.auth.password}`).toString('base64');
    headers.Authorization = `Basic ${token}`;
  }
  const enc = encodeURIComponent;
  const schemaText = (schema: unknown): string => (typeof schema === 'string' ? schema : JSON.stringify(schema));

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; data: unknown }> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new RegistryUnavailableError(`${method} ${baseUrl}${path} failed: ${(err as Error).message}`, { cause: err });
    }
    const text = await response.text();
    let data: unknown = text;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (a proxy's error page): keep the text for the message.
    }
    if (response.status >= 500) {
      throw new RegistryUnavailableError(`${method} ${baseUrl}${path} answered ${response.status}: ${text.slice(0, 500)}`);
    }
    return { status: response.status, data };
  }

  // A 404 with one of these codes is an answer about the subject; any other 404 means a wrong base URL.
  const isNotFound = (status: number, data: unknown, codes: readonly number[]): boolean =>
    status === 404 && codes.includes(Number((data as { error_code?: unknown } | null)?.error_code));
  const refusal = (subject: string, what: string, status: number, data: unknown): SchemaRegistrationError => {
    const message = (data as { message?: unknown } | null)?.message;
    return new SchemaRegistrationError(subject, `${what} of subject ${subject} refused (${status}): ${String(message ?? data)}`, {
      status,
    });
  };

  return {
    async subjectCompatibility(subject) {
      const { status, data } = await call('GET', `/config/${enc(subject)}`);
      // 40401: no such subject; 40408: the subject has no level of its own (Confluent).
      if (isNotFound(status, data, [40401, 40408])) return null;
      if (status !== 200) throw refusal(subject, 'reading the compatibility', status, data);
      return (data as { compatibilityLevel: CompatibilityLevel }).compatibilityLevel;
    },
    async setSubjectCompatibility(subject, level) {
      let { status, data } = await call('PUT', `/config/${enc(subject)}`, { compatibility: level });
      // Apicurio answers 409 when another service created the subject's rule at the same moment;
      // the rule exists now, so the same PUT updates it.
      if (status === 409) ({ status, data } = await call('PUT', `/config/${enc(subject)}`, { compatibility: level }));
      if (status !== 200) throw refusal(subject, 'setting the compatibility', status, data);
    },
    async isCompatible(subject, schema) {
      const path = `/compatibility/subjects/${enc(subject)}/versions/latest`;
      const { status, data } = await call('POST', path, { schema: schemaText(schema) });
      if (isNotFound(status, data, [40401, 40402])) return true;
      if (status !== 200) throw refusal(subject, 'the compatibility check', status, data);
      return (data as { is_compatible: boolean }).is_compatible;
    },
    async registerVersion(subject, schema) {
      const { status, data } = await call('POST', `/subjects/${enc(subject)}/versions`, { schema: schemaText(schema) });
      if (status !== 200) throw refusal(subject, 'registration', status, data);
      return (data as { id: number }).id;
    },
    async versions(subject) {
      const { status, data } = await call('GET', `/subjects/${enc(subject)}/versions`);
      if (isNotFound(status, data, [40401])) return [];
      if (status !== 200) throw refusal(subject, 'listing the versions', status, data);
      return data as number[];
    },
  };
}
