// The default Lambda handler of a SecureApiStack (index.handler, Node.js). Behind API Gateway's
// AWS_PROXY integration it answers every route with 200 and a JSON body naming the stack's
// environment, the path and the method; if anything throws it answers 500 with a JSON error, so
// callers never see API Gateway's opaque "Internal server error". It logs one JSON line per
// request at LOG_LEVEL (INFO by default) into the stack's KMS-encrypted log group.
'use strict';

const JSON_HEADERS = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

function respond(statusCode, body) {
  return { statusCode, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

function log(level, fields) {
  const order = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };
  const threshold = order[(process.env.LOG_LEVEL || 'INFO').toUpperCase()] || order.INFO;
  if ((order[level] || order.INFO) >= threshold) {
    console.log(JSON.stringify({ level, ...fields }));
  }
}

exports.handler = async (event, context) => {
  const requestId = (context && context.awsRequestId) || undefined;
  try {
    if (event === null || typeof event !== 'object') {
      throw new TypeError('expected an API Gateway proxy event object');
    }
    const path = typeof event.path === 'string' ? event.path : '/';
    const method = typeof event.httpMethod === 'string' ? event.httpMethod : 'GET';
    log('INFO', { msg: 'request', method, path, requestId });
    return respond(200, {
      message: 'Hello from the secure API',
      timestamp: new Date().toISOString(),
      environment: process.env.ENVIRONMENT_SUFFIX || 'unknown',
      path,
      method,
    });
  } catch (err) {
    log('ERROR', { msg: 'handler error', error: String(err && err.message ? err.message : err), requestId });
    // the cause goes to the log, not to the caller
    return respond(500, { message: 'Internal server error', requestId });
  }
};
