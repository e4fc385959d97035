// Some providers repeat the credential they were sent in their error messages ("Invalid API Key:
// gsk_…"). Those messages reach the client, the logs and the public health view (last_error), so a
// provider's own secrets are cut out of them first.
import type { ProviderCredentials } from '../providers/types';

/** Shorter settings (a region, a project name) are not secrets and are left alone. */
const MIN_EXTRA_SECRET_LENGTH = 16;

export function withoutCredentials(message: string, credentials: ProviderCredentials | undefined): string {
  if (!credentials) return message;
  const secrets = [credentials.apiKey, ...Object.values(credentials.extra).filter((v) => v.length >= MIN_EXTRA_SECRET_LENGTH)].filter(
    (s): s is string => typeof s === 'string' && s.length >= 4,
  );
  let out = message;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}
