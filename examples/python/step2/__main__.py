"""Step 2 of the Python example (used by the update tests): longer retention, bigger function."""
import pulumi
import pulumi_secureapi as secureapi

config = pulumi.Config()
environment_suffix = config.require("environmentSuffix")

stack = secureapi.SecureApiStack(
    "secure-api-stack",
    environment_suffix=environment_suffix,
    region="ap-southeast-1",
    tags={"Project": pulumi.get_project(), "Stack": pulumi.get_stack(), "ManagedBy": "pulumi"},
    # the function: app/ (app.py and its vendored apiresponse package) on Python 3.13
    lambda_code=pulumi.FileArchive("./app"),
    lambda_runtime="python3.13",
    lambda_handler="app.handler",
    log_retention_in_days=30,
    lambda_memory_size=512,
)

pulumi.export("apiUrl", stack.api_url)
pulumi.export("functionName", stack.function_name)
pulumi.export("kmsKeyId", stack.kms_key_id)
pulumi.export("logGroupName", stack.log_group_name)
