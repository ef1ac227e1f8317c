// The program our users start from: one SecureApiStack in ap-southeast-1, named by the stack's
// environmentSuffix, exporting what a client of the API needs.
import { SecureApiStack } from "pulumi-secureapi";
import { loadSettings } from "./lib/settings";

const settings = loadSettings();

const stack = new SecureApiStack("secure-api-stack", {
    environmentSuffix: settings.environmentSuffix,
    region: "ap-southeast-1",
    tags: settings.tags,
});

export const apiUrl = stack.apiUrl;
export const functionName = stack.functionName;
export const kmsKeyId = stack.kmsKeyId;
export const logGroupName = stack.logGroupName;
