import { describe, expect, it } from 'vitest';
import { describeServiceConfig, loadServiceConfig } from '../../../services/config/serviceConfig.ts';
import { redactUrlCredentials, splitUrlCredentials } from '../../../services/config/urlCredentials.ts';
import { ConfigError } from '../../../services/errors/medistillErrors.ts';
import { parseLlmConfig } from '../../../services/llm/llmConfig.ts';

const SECRET = 'pw-marker-93c1e7';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadServiceConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('credentials in configured URLs', () => {
  it('splits user and password off a URL, decoding them', () => {
    expect(splitUrlCredentials(`https://reg%40user:${SECRET}%2F@registry.example:8443/apis/ccompat/v7`)).toEqual({
      url: 'https://registry.example:8443/apis/ccompat/v7',
      username: 'reg@user',
      password: `${SECRET}/`,
    });
    expect(splitUrlCredentials('http://127.0.0.1:8081')).toEqual({ url: 'http://127.0.0.1:8081', username: null, password: null });
  });

  it('redacts the userinfo of every URL quoted in a text, leaving e-mail addresses and plain URLs alone', () => {
    const text = `fetch http://u:${SECRET}@llm:8000/v1/chat failed; also https://${SECRET}@h/x; mail ncbi@example.org; http://plain/x`;
    const redacted = redactUrlCredentials(text);
    expect(redacted).not.toContain(SECRET);
    expect(redacted).toBe('fetch http://***@llm:8000/v1/chat failed; also https://***@h/x; mail ncbi@example.org; http://plain/x');
  });

  it('moves the registry URL credentials into the registry basic-auth settings, printed as ***', () => {
    const config = loadServiceConfig({ MEDISTILL_REGISTRY_URL: `http://svc:${SECRET}@127.0.0.1:8081/apis/ccompat/v7` });
    expect(config.registryUrl).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
    expect(config.registryUsername).toBe('svc');
    expect(config.registryPassword).toBe(SECRET);
    const printed = describeServiceConfig(config).join('\n');
    expect(printed).not.toContain(SECRET);
    expect(printed).toContain('MEDISTILL_REGISTRY_PASSWORD=***');
  });

  it('refuses registry credentials given twice, or a password without a user', () => {
    expect(configError({ MEDISTILL_REGISTRY_URL: `http://svc:${SECRET}@r:8081`, MEDISTILL_REGISTRY_USERNAME: 'a', MEDISTILL_REGISTRY_PASSWORD: 'b' }).message).toContain('keep one of them');
    expect(configError({ MEDISTILL_REGISTRY_URL: `http://:${SECRET}@r:8081` }).message).toContain('alone');
  });

  it.each([
    ['MEDISTILL_LLM_BASE_URL', `http://user:${SECRET}@127.0.0.1:8000/v1`, 'MEDISTILL_LLM_API_KEY'],
    ['MEDISTILL_EUTILS_BASE_URL', `https://user:${SECRET}@eutils.example/entrez/eutils/`, 'MEDISTILL_EUTILS_API_KEY'],
    ['MEDISTILL_KAFKA_BROKERS', `user:${SECRET}@127.0.0.1:9092`, 'MEDISTILL_KAFKA_SASL_MECHANISM'],
  ])('refuses credentials in %s at start with a message that names the right setting and hides them', (env, value, fix) => {
    const error = configError({ [env]: value });
    expect(error.message).toContain(env);
    expect(error.message).toContain(fix);
    expect(error.message).toContain('***@');
    expect(error.message).not.toContain(SECRET);
  });

  it('the LLM client settings refuse a base URL with credentials too, without quoting it', () => {
    expect(() => parseLlmConfig({ baseUrl: `http://u:${SECRET}@h/v1`, apiKey: 'k', model: 'm' })).toThrow(/baseUrl: must not carry user:password/);
    try {
      parseLlmConfig({ baseUrl: `http://u:${SECRET}@h/v1`, apiKey: 'k', model: 'm' });
    } catch (error) {
      expect((error as Error).message).not.toContain(SECRET);
    }
  });
});
