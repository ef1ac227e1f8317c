// Step 2 of the example (used by the update tests): a longer log retention and a bigger function,
// both changed in place.
import { SecureApiStack } from "pulumi-secureapi";
import { loadSettings } from "./lib/settings";

const settings = loadSettings();

const stack = new SecureApiStack("secure-api-stack", {
    environmentSuffix: settings.environmentSuffix,
    region: "ap-southeast-1",
    tags: settings.tags,
    logRetentionInDays: 30,
    lambdaMemorySize: 512,
});

export const apiUrl = stack.apiUrl;
export const functionName = stack.functionName;
export const kmsKeyId = stack.kmsKeyId;
export const logGroupName = stack.logGroupName;
