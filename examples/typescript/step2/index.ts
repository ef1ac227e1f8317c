// Step 2 of the example (used by the update tests): a longer log retention and a bigger function,
// both changed in place.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { SecureApiStack } from "pulumi-secureapi";
import { loadSettings } from "./lib/settings";

const settings = loadSettings();
// The function's code: handler/index.js, deployed as index.js (index.handler) of an archive.
const code = fs.readFileSync(path.join(__dirname, "handler", "index.js"), "utf8");

const stack = new SecureApiStack("secure-api-stack", {
    environmentSuffix: settings.environmentSuffix,
    region: "ap-southeast-1",
    tags: settings.tags,
    lambdaCode: new pulumi.asset.AssetArchive({"index.js": new pulumi.asset.StringAsset(code)}),
    lambdaHandler: "index.handler",
    logRetentionInDays: 30,
    lambdaMemorySize: 512,
});

export const apiUrl = stack.apiUrl;
export const functionName = stack.functionName;
export const kmsKeyId = stack.kmsKeyId;
export const logGroupName = stack.logGroupName;
