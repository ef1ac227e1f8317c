"""One SecureApiStack in ap-southeast-1, named by the stack's environmentSuffix, exporting what a
client of the API needs (the Python twin of examples/typescript), its function a Python handler
from app/ (app.py and the vendored apiresponse package it imports)."""
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
)

pulumi.export("apiUrl", stack.api_url)
pulumi.export("functionName", stack.function_name)
pulumi.export("kmsKeyId", stack.kms_key_id)
pulumi.export("logGroupName", stack.log_group_name)
