"""Secrets stay secret: explicit AWS credentials given as secret provider config, and a secret
resource input, never appear in the plugin's logs (at the highest verbosity, flowed into the
CLI's log with --logflow -v=9), in the CLI's output (with --debug), or unencrypted in the state
file. (The engine's own -v=9 log prints RPC payloads, secrets included: that is Pulumi's, so
at that verbosity only the plugin's lines are checked.)"""
from harness.projects import yaml_project

SECRET_KEY = "Sup3rS3cretAwsKeyValue0123456789abcdef"   # the AWS secret access key
TOKEN = "SessionTokenValueThatMustNeverLeak-XYZ987"
ENV_SECRET = "env-secret-value-7f3a9c"                  # a secret resource input
ACCESS_KEY = "AKIASECRETSTEST12345"


def test_no_secret_leaks(pulumi, aws, plugin_bin, tmp_path):
    proj = yaml_project(tmp_path / "proj", "secrets", plugin_bin.parent, {
        "environmentSuffix": "sec",
        "lambdaEnvironment": {"API_TOKEN": {"fn::secret": ENV_SECRET}}})
    # no credentials in the environment: only the secret provider config has them
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    run = lambda *a, **kw: pulumi.run(*a, cwd=proj, env=env, **kw)  # noqa: E731
    run("stack", "init", "dev")
    run("config", "set", "--secret", "secureapi:accessKey", ACCESS_KEY)
    run("config", "set", "--secret", "secureapi:secretKey", SECRET_KEY)
    run("config", "set", "--secret", "secureapi:token", TOKEN)
    cli_output, plugin_log = [], []
    for args in (["up", "--yes", "--skip-preview"],
                 ["refresh", "--yes"],
                 ["preview", "--diff"],
                 ["up", "--yes", "--skip-preview", "--refresh"],
                 ["destroy", "--yes", "--skip-preview"]):
        if args[0] == "destroy":
            r = run("stack", "export")
            cli_output.append(r.stdout)
            state = "".join(p.read_text() for p in pulumi.state.rglob("*.json"))
            fn = aws.boto3_client("lambda").list_functions()["Functions"][0]
        r = run(*args, "--debug")
        cli_output.append(r.stdout + r.stderr)
        if args[0] != "destroy":
            r = run(*args, "--logflow", "-v=9", "--logtostderr")
            plugin_log += [l for l in (r.stdout + r.stderr).splitlines()
                           if "pulumi-resource-secureapi:" in l]
    plugin_text, cli_text = "\n".join(plugin_log), "\n".join(cli_output)
    assert "pulumi-resource-secureapi: rpc /pulumirpc.ResourceProvider/Configure" in plugin_text, \
        "the plugin's own debug log should have been captured"
    assert "Authorization: <redacted>" in plugin_text
    for secret in (SECRET_KEY, TOKEN, ENV_SECRET):
        assert secret not in plugin_text, f"{secret[:6]}... leaked into the plugin's log"
        assert secret not in cli_text, f"{secret[:6]}... leaked into the CLI's output"
        assert secret not in state, f"{secret[:6]}... stored unencrypted in the state"
    # hidden, not lost: the function got the value, signed with the explicit credentials
    assert fn["Environment"]["Variables"]["API_TOKEN"] == ENV_SECRET
