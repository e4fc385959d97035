// Amazon Translate (AWS), signed with AWS Signature V4: AWS_TRANSLATE_API_KEY (access key id),
// AWS_TRANSLATE_SECRET_ACCESS_KEY, AWS_TRANSLATE_REGION (default us-east-1) and, for temporary
// credentials, AWS_TRANSLATE_SESSION_TOKEN.
import type { ProviderAdapter } from '../types';
import { AWS_TRANSLATE_BASE_URL } from './api';
import { awsTranslateTranslation } from './translation';

export const awsTranslateProvider: ProviderAdapter = {
  id: 'aws-translate',
  defaultBaseUrl: AWS_TRANSLATE_BASE_URL,
  translation: awsTranslateTranslation,
};
