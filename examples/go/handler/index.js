// The example's function (index.handler, Node.js), deployed as index.js of an AssetArchive by
// main.go (a copy of examples/typescript/handler/index.js). Behind API Gateway's AWS_PROXY
// integration it answers every route with 200 and a JSON body echoing the method, path, query and
// JSON request body, with the stack's environment; a body that is not JSON answers 400, and
// anything unexpected a JSON 500 (the cause only logged).
'use strict';

const HEADERS = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

function reply(statusCode, body) {
  return { statusCode, headers: { ...HEADERS }, body: JSON.stringify(body) };
}

function parseBody(event) {
  if (event.body === null || event.body === undefined || event.body === '') {
    return null;
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return JSON.parse(text);
}

exports.handler = async (event, context) => {
  const requestId = (context && context.awsRequestId) || null;
  try {
    let payload;
    try {
      payload = parseBody(event);
    } catch (err) {
      return reply(400, { error: 'the request body is not JSON', requestId });
    }
    return reply(200, {
      message: 'Hello from the secure API (TypeScript example)',
      method: event.httpMethod,
      path: event.path,
      query: event.queryStringParameters || {},
      received: payload,
      environment: process.env.ENVIRONMENT_SUFFIX || 'unknown',
      requestId,
    });
  } catch (err) {
    console.error(JSON.stringify({ level: 'ERROR', msg: String(err), requestId }));
    return reply(500, { error: 'Internal server error', requestId });
  }
};
