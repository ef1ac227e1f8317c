// Smallest TypeScript program: reads stack config and exports it, so the test sees the language
// host, ts-node and @pulumi/pulumi all working with the pinned CLI.
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
export const greeting = `hello ${config.require("who")} from TypeScript`;
