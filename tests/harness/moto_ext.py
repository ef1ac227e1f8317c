"""moto, with the routes it lacks supplied by the harness: the embedded AWS of the tests is moto
in server mode started by `python -m harness.moto_ext`, which patches moto before serving so
that the plugin can speak only AWS's documented API (provider/ has no branch for an emulator).
Each addition follows the operation's documentation and botocore's model:

- API Gateway TagResource / UntagResource on a REST API (`PUT|DELETE /tags/{resource_arn}` with
  arn:<partition>:apigateway:<region>::/restapis/<id>): moto routes only stage ARNs.
- API Gateway DeleteRestApi, GetRestApi of an API that does not exist: 404 NotFoundException
  "Invalid Rest API Id specified" (moto raises KeyError, an HTML 500).
- STS AssumeRoleWithWebIdentity (and AssumeRoleWithSAML) without an Authorization header while
  signature checking is on: AWS documents them as calls that "do not require the use of AWS
  security credentials" (the token or assertion is the credential); moto asks every call for a
  signature and fails with a KeyError.
- CloudWatch Logs AssociateKmsKey (logGroupName, kmsKeyId): the group is encrypted with the key
  from now on; a missing group is ResourceNotFoundException, a key that does not exist or is
  not enabled InvalidParameterException, as the operation's documentation says.

One patch changes cost, not behaviour: moto builds its 1,500-odd AWS-managed IAM policies from
one big JSON text each time an account's IAM backend is made (after every reset: about a second
of CPU per test, the largest share of the suites' time). The text is parsed and each policy's
document serialized once per server instead; every backend still gets new policy objects.

Usage: python -m harness.moto_ext -H 127.0.0.1 -p PORT (moto_server's own arguments)."""
from __future__ import annotations

import json
import sys
from datetime import datetime
from urllib.parse import unquote


def _patch_apigateway() -> None:
    from moto.apigateway import models, responses, urls
    from moto.apigateway.exceptions import RestAPINotFound

    rest_api_tags = ("{0}/tags/arn:(?P<partition>[^/]+):apigateway:(?P<region_name>[^/]+)::"
                     "/restapis/(?P<function_id>[^/]+)$")
    urls.url_paths[rest_api_tags] = responses.APIGatewayResponse.dispatch

    def target(self):
        """(REST API id, stage name or None) of the ARN in the path."""
        arn = unquote(self.path.split("/tags/", 1)[1])
        parts = arn.split("::", 1)[1].strip("/").split("/")  # restapis/<id>[/stages/<name>]
        return parts[1], (parts[3] if len(parts) > 3 else None)

    def tag_resource(self):
        api_id, stage_name = target(self)
        tags = self._get_param("tags") or {}
        if stage_name is None:
            api = self.backend.get_rest_api(api_id)
            api.tags = {**(api.tags or {}), **tags}
        else:
            stage = self.backend.get_stage(api_id, stage_name)
            stage.tags = {**(stage.tags or {}), **tags}
        return 204, {}, ""

    def untag_resource(self):
        api_id, stage_name = target(self)
        keys = self.querystring.get("tagKeys") or []
        obj = (self.backend.get_rest_api(api_id) if stage_name is None
               else self.backend.get_stage(api_id, stage_name))
        obj.tags = {k: v for k, v in (obj.tags or {}).items() if k not in keys}
        return 204, {}, ""

    def get_tags(self):
        api_id, stage_name = target(self)
        obj = (self.backend.get_rest_api(api_id) if stage_name is None
               else self.backend.get_stage(api_id, stage_name))
        return json.dumps({"tags": obj.tags or {}})

    responses.APIGatewayResponse.tag_resource = tag_resource
    responses.APIGatewayResponse.untag_resource = untag_resource
    responses.APIGatewayResponse.get_tags = get_tags

    original_delete = models.APIGatewayBackend.delete_rest_api

    def delete_rest_api(self, function_id):
        if function_id not in self.apis:
            raise RestAPINotFound()
        return original_delete(self, function_id)

    models.APIGatewayBackend.delete_rest_api = delete_rest_api


def _patch_logs() -> None:
    from moto.kms.models import kms_backends
    from moto.logs import responses
    from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException

    def associate_kms_key(self):
        name = self._get_param("logGroupName")
        key = self._get_param("kmsKeyId")
        group = self.logs_backend.groups.get(name)
        if group is None:
            raise ResourceNotFoundException()
        key_id = key.rsplit("/", 1)[-1]
        kms = kms_backends[self.current_account][self.region]
        k = kms.keys.get(key_id)
        if k is None or k.key_state != "Enabled":
            raise InvalidParameterException(
                msg=f"Specified KMS key {key} does not exist or is not enabled")
        group.kms_key_id = key
        return ""

    responses.LogsResponse.associate_kms_key = associate_kms_key


def _patch_sts() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin

    unsigned = ("AssumeRoleWithWebIdentity", "AssumeRoleWithSAML")
    checked = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action

    def authenticate(self, resource="*"):
        if "Authorization" not in self.headers and self._get_action() in unsigned:
            return None
        return checked(self, resource)

    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = authenticate


def _patch_iam_managed_policies() -> None:
    from moto.iam import models

    parsed = json.loads(models.aws_managed_policies_data)
    prepared = [(name, dict(default_version_id=d.get("DefaultVersionId"), path=d.get("Path"),
                            document=json.dumps(d.get("Document")),
                            create_date=datetime.fromisoformat(d["CreateDate"]),
                            update_date=datetime.fromisoformat(d["UpdateDate"])))
                for name, d in parsed.items()]
    original = models.IAMBackend._init_aws_policies

    def init_aws_policies(self):
        if not models.load_iam_aws_managed_policies():
            return original(self)
        return [models.AWSManagedPolicy(name, account_id=self.account_id,
                                        region=self.region_name, **kwargs)
                for name, kwargs in prepared]

    models.IAMBackend._init_aws_policies = init_aws_policies


def main(argv: list[str]) -> None:
    _patch_iam_managed_policies()
    _patch_apigateway()
    _patch_logs()
    _patch_sts()
    from moto.server import main as moto_main
    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
