// The stack's settings from Pulumi config: the environment suffix (required) and the tags every
// piece carries. Kept apart from index.ts so the program reads like the architecture it deploys.
import * as pulumi from "@pulumi/pulumi";

export interface Settings {
    environmentSuffix: string;
    tags: Record<string, string>;
}

export function loadSettings(): Settings {
    const config = new pulumi.Config();
    const environmentSuffix = config.require("environmentSuffix");
    return {
        environmentSuffix,
        tags: {
            Project: pulumi.getProject(),
            Stack: pulumi.getStack(),
            ManagedBy: "pulumi",
        },
    };
}
