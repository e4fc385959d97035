// Alibaba Cloud Model Studio (DashScope): the OpenAI-compatible endpoint of the Singapore
// (international) deployment, `Authorization: Bearer <key>`. Model Studio keys belong to one
// region, so DASHSCOPE_BASE_URL points a deployment with a Beijing, US or Hong Kong key at that
// region's host. https://www.alibabacloud.com/help/en/model-studio/compatibility-of-openai-with-dashscope
export const DASHSCOPE_BASE_URL = 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1';
