// The YAML example's function (index.handler, Node.js), deployed from this folder with
// fn::fileArchive. Behind API Gateway's AWS_PROXY integration it greets `?name=` (or "world")
// with a JSON body naming the path, the method and the stack's environment.
'use strict';

exports.handler = async (event) => {
  const query = (event && event.queryStringParameters) || {};
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' },
    body: JSON.stringify({
      greeting: `Hello, ${query.name || 'world'}!`,
      method: event.httpMethod,
      path: event.path,
      environment: process.env.ENVIRONMENT_SUFFIX || 'unknown',
    }),
  };
};
