// Typed access to secureapi:index:SecureApiStack for this example. It will be replaced by the
// SDK generated from the plugin's schema (sdk-shim/, npm package pulumi-secureapi) once that
// exists; the resource type, inputs and outputs are the schema's.
import * as pulumi from "@pulumi/pulumi";

export interface SecureApiStackArgs {
    environmentSuffix: pulumi.Input<string>;
    region?: pulumi.Input<string>;
    lambdaMemorySize?: pulumi.Input<number>;
    logRetentionInDays?: pulumi.Input<number>;
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export class SecureApiStack extends pulumi.CustomResource {
    public readonly apiUrl!: pulumi.Output<string>;
    public readonly functionName!: pulumi.Output<string>;
    public readonly kmsKeyId!: pulumi.Output<string>;
    public readonly logGroupName!: pulumi.Output<string>;

    constructor(name: string, args: SecureApiStackArgs, opts?: pulumi.CustomResourceOptions) {
        super("secureapi:index:SecureApiStack", name, {
            ...args,
            apiUrl: undefined,
            functionName: undefined,
            kmsKeyId: undefined,
            logGroupName: undefined,
        }, opts);
    }
}
