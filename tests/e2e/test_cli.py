"""The real Pulumi CLI built by tools/setup/install-pulumi.sh: pinned version, offline DIY
backend, and the plugin as the engine sees it (get-schema, a YAML program reaching our Check)."""
import json
import textwrap

from harness.projects import yaml_project

PINNED = "v3.274.1"


def test_pulumi_version_is_pinned(pulumi, tmp_path):
    assert pulumi.run("version", cwd=tmp_path).stdout.strip() == PINNED


def test_empty_yaml_program_up_offline(pulumi, tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "Pulumi.yaml").write_text(textwrap.dedent("""\
        name: empty-yaml
        runtime: yaml
        outputs:
          greeting: hello from an empty program
        """))
    pulumi.run("stack", "init", "dev", cwd=proj)
    pulumi.run("up", "--yes", "--skip-preview", "--color", "never", cwd=proj)
    out = json.loads(pulumi.run("stack", "output", "--json", cwd=proj).stdout)
    assert out == {"greeting": "hello from an empty program"}
    # the state lives in the file:// backend under this test's tmp_path
    assert any(pulumi.state.rglob("dev.json*"))
    pulumi.run("destroy", "--yes", "--skip-preview", cwd=proj)
    pulumi.run("stack", "rm", "dev", "--yes", cwd=proj)


def test_get_schema_through_the_cli(pulumi, plugin_bin, tmp_path, version):
    r = pulumi.run("package", "get-schema", str(plugin_bin), cwd=tmp_path)
    schema = json.loads(r.stdout)
    assert schema["name"] == "secureapi"
    assert schema["version"] == version
    assert "secureapi:index:SecureApiStack" in schema["resources"]
    assert "error" not in r.stderr.lower()


def test_yaml_program_lifecycle(pulumi, plugin_bin, aws, tmp_path):
    """A YAML program with the plugin from plugins.providers: preview predicts without AWS, up
    creates the stack in moto, refresh and preview then see no change, destroy leaves nothing."""
    proj = yaml_project(tmp_path / "proj", "secureapi-yaml", plugin_bin.parent,
                        {"environmentSuffix": "dev", "region": "ap-southeast-1"},
                        {"apiUrl": "${api.apiUrl}", "functionName": "${api.functionName}"})
    pulumi.run("stack", "init", "dev", cwd=proj)
    r = pulumi.run("preview", "--json", cwd=proj)
    steps = json.loads(r.stdout)["steps"]
    create = [s for s in steps if s["urn"].endswith("SecureApiStack::api")]
    assert create and create[0]["op"] == "create"
    assert create[0]["newState"]["inputs"]["lambdaRuntime"] == "nodejs22.x"
    assert aws.boto3_client("lambda").list_functions()["Functions"] == []  # preview made nothing

    pulumi.run("up", "--yes", "--skip-preview", cwd=proj)
    out = json.loads(pulumi.run("stack", "output", "--json", cwd=proj).stdout)
    assert out["apiUrl"].startswith("https://") and out["apiUrl"].endswith(
        ".execute-api.ap-southeast-1.amazonaws.com/prod")
    fns = [f["FunctionName"] for f in aws.boto3_client("lambda").list_functions()["Functions"]]
    assert fns == [out["functionName"]]

    pulumi.run("refresh", "--yes", "--expect-no-changes", cwd=proj)
    pulumi.run("preview", "--expect-no-changes", cwd=proj)
    pulumi.run("destroy", "--yes", "--skip-preview", cwd=proj)
    assert aws.boto3_client("lambda").list_functions()["Functions"] == []
    assert aws.boto3_client("apigateway").get_rest_apis()["items"] == []
