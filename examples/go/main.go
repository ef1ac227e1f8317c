// The program our users start from, in Go: one SecureApiStack in ap-southeast-1, named by the
// stack's environmentSuffix, running handler/index.js as its function (index.js of an archive,
// index.handler), exporting what a client of the API needs.
package main

import (
	"os"
	"path/filepath"

	"github.com/pulumi-secureapi/pulumi-secureapi/sdk/go/secureapi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		environmentSuffix := config.Require(ctx, "environmentSuffix")
		// The function's code: handler/index.js (the program runs in the project folder).
		code, err := os.ReadFile(filepath.Join("handler", "index.js"))
		if err != nil {
			return err
		}

		stack, err := secureapi.NewSecureApiStack(ctx, "secure-api-stack", &secureapi.SecureApiStackArgs{
			EnvironmentSuffix: pulumi.String(environmentSuffix),
			Region:            pulumi.String("ap-southeast-1"),
			Tags: pulumi.StringMap{
				"Project":   pulumi.String(ctx.Project()),
				"Stack":     pulumi.String(ctx.Stack()),
				"ManagedBy": pulumi.String("pulumi"),
			},
			LambdaCode: pulumi.NewAssetArchive(map[string]interface{}{
				"index.js": pulumi.NewStringAsset(string(code)),
			}),
			LambdaHandler: pulumi.String("index.handler"),
		})
		if err != nil {
			return err
		}

		ctx.Export("apiUrl", stack.ApiUrl)
		ctx.Export("functionName", stack.FunctionName)
		ctx.Export("kmsKeyId", stack.KmsKeyId)
		ctx.Export("logGroupName", stack.LogGroupName)
		return nil
	})
}
