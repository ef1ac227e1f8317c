// The program our users start from: one SecureApiStack in ap-southeast-1, named by the stack's
// environmentSuffix, running handler/index.js as its function, exporting what a client of the API
// needs.
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
});

export const apiUrl = stack.apiUrl;
export const functionName = stack.functionName;
export const kmsKeyId = stack.kmsKeyId;
export const logGroupName = stack.logGroupName;
