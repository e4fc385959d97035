// The Amazon Translate mock: the AWS JSON 1.1 protocol on POST / with X-Amz-Target
// AWSShineFrontendService_20170701.TranslateText and Content-Type application/x-amz-json-1.1,
// checked the way AWS checks it: the Signature V4 Authorization header is recomputed here from
// the request's signed headers and body (with node:crypto, independently of the signer under
// test). Errors are {"__type": "…Exception", "message"}: a wrong signature is 400
// InvalidSignatureException, an unknown access key 400 UnrecognizedClientException, as AWS's
// JSON services answer them; throttling is 429 TooManyRequestsException.
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { MockUpstream, type RecordedRequest, type Route } from '../helpers/mock-upstream';
import { fakeDetect, fakeTranslate } from './fake-translator';

export const AWS_TEST_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const AWS_TEST_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const AWS_TEST_REGION = 'eu-west-1';

const ERROR_TYPES: Record<number, string> = {
  400: 'InvalidRequestException',
  403: 'AccessDeniedException',
  429: 'TooManyRequestsException',
  500: 'InternalServerException',
  503: 'ServiceUnavailableException',
};

export function awsErrorBody(status: number, message: string) {
  return { __type: ERROR_TYPES[status] ?? 'InternalServerException', message };
}

// Amazon Translate's codes (a subset): formality exists only for some targets.
const LANGUAGES = new Set('ar de en es es-MX fa fa-AF fr fr-CA hi it ja ko nl pl pt pt-PT ru tl tr uk zh zh-TW'.split(' '));
const FORMALITY_TARGETS = new Set('de es es-MX fr fr-CA hi it ja ko nl pl pt pt-PT'.split(' '));

type Answer = { status: number; body: unknown };
const fail = (status: number, type: string, message: string): Answer => ({ status, body: { __type: type, message } });

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** Recomputes the SigV4 signature of `req`; null when it matches, else the error AWS would send. */
function checkSignature(req: RecordedRequest, accessKeyId: string, secret: string, region: string): Answer | null {
  const auth = String(req.headers.authorization ?? '');
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!match) return fail(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  const [, keyId, date, signedRegion, service, signedHeaders, signature] = match as unknown as string[];
  if (keyId !== accessKeyId) return fail(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const names = signedHeaders!.split(';');
  if (!amzDate.startsWith(date!) || !names.includes('host') || !names.includes('x-amz-date') || !names.includes('x-amz-target')) {
    return fail(400, 'IncompleteSignatureException', 'The request signature does not sign the required headers.');
  }
  const canonicalHeaders = names.map((name) => `${name}:${String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [req.method, req.path, '', canonicalHeaders, signedHeaders, sha256(req.body)].join('\n');
  const scope = `${date}/${signedRegion}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), signedRegion!), service!), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (expected !== signature || signedRegion !== region || service !== 'translate') {
    return fail(400, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
  }
  return null;
}

function translateText(req: RecordedRequest): Answer {
  if (req.headers['x-amz-target'] !== 'AWSShineFrontendService_20170701.TranslateText') {
    return fail(400, 'UnknownOperationException', 'Unknown operation');
  }
  if (req.headers['content-type'] !== 'application/x-amz-json-1.1') return fail(400, 'SerializationException', 'Unexpected content type');
  const body = req.json as { Text?: unknown; SourceLanguageCode?: unknown; TargetLanguageCode?: unknown; Settings?: { Formality?: unknown } } | undefined;
  if (!body || typeof body.Text !== 'string' || typeof body.SourceLanguageCode !== 'string' || typeof body.TargetLanguageCode !== 'string') {
    return fail(400, 'SerializationException', 'Start of structure or map found where not expected.');
  }
  if (Buffer.byteLength(body.Text, 'utf8') > 10_000) {
    return fail(400, 'TextSizeLimitExceededException', 'Input text size exceeds limit. Max length of request text allowed is 10000 bytes while in this request the text size is ' + Buffer.byteLength(body.Text) + ' bytes');
  }
  const source = body.SourceLanguageCode === 'auto' ? fakeDetect(body.Text) : body.SourceLanguageCode;
  const target = body.TargetLanguageCode;
  if (!LANGUAGES.has(source) || !LANGUAGES.has(target)) {
    return fail(400, 'UnsupportedLanguagePairException', `Unsupported language pair: ${source} to ${target}.`);
  }
  const formality = body.Settings?.Formality;
  if (formality !== undefined && formality !== 'FORMAL' && formality !== 'INFORMAL') {
    return fail(400, 'ValidationException', `1 validation error detected: Value '${String(formality)}' at 'settings.formality' failed to satisfy constraint: Member must satisfy enum value set: [FORMAL, INFORMAL]`);
  }
  const applied = formality !== undefined && FORMALITY_TARGETS.has(target) ? { AppliedSettings: { Formality: formality } } : {};
  return { status: 200, body: { TranslatedText: fakeTranslate(body.Text, target), SourceLanguageCode: source, TargetLanguageCode: target, ...applied } };
}

export function awsTranslateRoutes(accessKeyId: string, secret: string, region: string): Route[] {
  return [
    {
      method: 'POST',
      path: /\/$/,
      handle(req, res, { mock }) {
        const answer = checkSignature(req, accessKeyId, secret, region) ?? translateText(req);
        mock.sendJson(res, answer.status, answer.body, { 'x-amzn-requestid': randomUUID(), 'content-type': 'application/x-amz-json-1.1' });
      },
    },
  ];
}

export function startAwsTranslateMock(
  accessKeyId = AWS_TEST_ACCESS_KEY_ID,
  secret = AWS_TEST_SECRET_ACCESS_KEY,
  region = AWS_TEST_REGION,
): Promise<MockUpstream> {
  return MockUpstream.start({ routes: awsTranslateRoutes(accessKeyId, secret, region), errorBody: awsErrorBody });
}
