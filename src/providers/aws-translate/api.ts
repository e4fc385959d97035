// Amazon Translate: https://docs.aws.amazon.com/translate/latest/APIReference/ — the AWS JSON 1.1
// protocol (one POST to "/" per operation, named by X-Amz-Target) signed with Signature V4.
// AWS_TRANSLATE_API_KEY is the access key id; the secret and the region are extra settings.
// The default base URL keeps a `{region}` placeholder; an AWS_TRANSLATE_BASE_URL without one (a
// VPC endpoint, a proxy, a test's mock) is used as it is.
import aws4 from 'aws4';
import { UpstreamError } from '../../errors';
import type { ProviderCredentials } from '../types';

export const AWS_TRANSLATE_BASE_URL = 'https://translate.{region}.amazonaws.com';

const DEFAULT_REGION = 'us-east-1';

export function awsTranslateRegion(credentials: ProviderCredentials): string {
  return credentials.extra.region ?? DEFAULT_REGION;
}

export function awsTranslateUrl(credentials: ProviderCredentials): URL {
  return new URL(credentials.baseUrl.replace('{region}', awsTranslateRegion(credentials)));
}

/**
 * The headers of one signed AWS JSON 1.1 call. The signature covers the host, the target, the
 * date and a hash of the body, so the body sent must be exactly `body`.
 */
export function awsSignedHeaders(provider: string, credentials: ProviderCredentials, target: string, body: string): Record<string, string> {
  const secretAccessKey = credentials.extra.secret_access_key;
  if (!credentials.apiKey || !secretAccessKey) {
    // A configuration gap, not an outage: answered like the 403 AWS would give, so nothing retries it.
    throw new UpstreamError(provider, 'http', `${provider} needs AWS_TRANSLATE_API_KEY (access key id) and AWS_TRANSLATE_SECRET_ACCESS_KEY`, 403);
  }
  const url = awsTranslateUrl(credentials);
  const signed = aws4.sign(
    {
      host: url.host,
      path: url.pathname,
      method: 'POST',
      service: 'translate',
      region: awsTranslateRegion(credentials),
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
      body,
    },
    {
      accessKeyId: credentials.apiKey,
      secretAccessKey,
      ...(credentials.extra.session_token ? { sessionToken: credentials.extra.session_token } : {}),
    },
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers ?? {})) {
    // undici sets Host and Content-Length itself, from the URL and the body that were signed.
    if (value !== undefined && !/^(host|content-length)$/i.test(name)) headers[name.toLowerCase()] = String(value);
  }
  return headers;
}
