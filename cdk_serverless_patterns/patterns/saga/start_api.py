"""The optional HTTP front door of a :class:`~cdk_serverless_patterns.patterns.saga.workflow.Saga`.

``POST /executions`` starts an execution through API Gateway's direct Step
Functions integration (``states:StartExecution``, no Lambda in between),
authorized with IAM (SigV4, the default) or a Cognito user pool::

    caller (SigV4 │ Cognito token) ─► WAF ─► REST API stage (throttling, JSON access logs, X-Ray,
                             ERROR execution logs) ─► POST /executions
                             (body validated against a JSON schema)
                             ─► integration role: states:StartExecution on this
                                state machine only ─► Step Functions

The request body becomes the execution input. With ``execution_name_field``,
that input field names the execution, which makes starts idempotent: a retry
with the same name and input returns the running execution, a different input
under the same name is rejected (400 ``ExecutionAlreadyExists``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from constructs import Construct

from cdk_serverless_patterns._cdk_modules import (
    aws_apigateway as apigw,
    aws_cloudwatch as cloudwatch,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_stepfunctions as sfn,
    aws_wafv2 as wafv2,
)
from cdk_serverless_patterns.building_blocks.alarms import AlarmSpec, sum_metric
from cdk_serverless_patterns.building_blocks.grants import grant_exactly
from cdk_serverless_patterns.building_blocks.logs import create_log_group
from cdk_serverless_patterns.building_blocks.pattern_options import PatternOptions
from cdk_serverless_patterns.building_blocks.waf import create_web_acl, log_web_acl, validate_waf_logging
from cdk_serverless_patterns.checks.acknowledge import AWS_SOLUTIONS, acknowledge, acknowledge_inline_policies
from cdk_serverless_patterns.errors import Problems
from cdk_serverless_patterns.patterns.api.auth import (
    ApiAuth,
    AuthKind,
    build_authorizer,
    validate_auth,
)
from cdk_serverless_patterns.patterns.api.options import ApiSettings
from cdk_serverless_patterns.patterns.api.stage import (
    acknowledge_stage_findings,
    request_model,
    regional_rest_api,
    stage_options,
)
from cdk_serverless_patterns.patterns.api.validation import validate_throttling


_FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Step Functions execution names: 1-80 characters, none of whitespace, brackets,
#: wildcards, ``" # % \\ ^ | ~ ` $ & , ; : /`` or control characters.
#: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
EXECUTION_NAME_PATTERN = r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$"
#: Lambda durable execution names (``Invoke``'s ``DurableExecutionName``): 1-64 of letters, digits, '-' and '_'.
DURABLE_EXECUTION_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"
#: The header of Lambda's ``Invoke`` answer that names the durable execution, passed on to the caller.
DURABLE_EXECUTION_ARN_HEADER = "X-Amz-Durable-Execution-Arn"
#: ``$util.escapeJavaScript`` escapes ``'`` as ``\\'``, which is not valid JSON; undo it.
_UNESCAPE_QUOTE = r""".replaceAll("\\'","'")"""
RESOURCE_PATH = "executions"


@dataclass(frozen=True)
class SagaStartApi:
    """``POST /executions`` with IAM auth, starting the saga (see module docstring).

    :param input_schema: JSON schema (draft 4) the request body must match;
        API Gateway rejects anything else with 400 before Step Functions sees
        it. Default: any JSON object (plus the name field, when set).
    :param execution_name_field: top-level input field used as execution name
        (e.g. ``"order_id"``) for idempotent starts. Must be ``required`` in
        ``input_schema`` when both are given. Default: none (Step Functions
        generates a name; every POST starts a new execution).
    :param rate_limit: stage throttling, requests per second. Default
        :data:`defaults.API_THROTTLING_RATE_LIMIT`.
    :param burst_limit: default :data:`defaults.API_THROTTLING_BURST_LIMIT`.
    :param waf_rate_limit: requests per source IP per 5 minutes before the web
        ACL blocks, 10-2,000,000,000. Default :data:`defaults.WAF_RATE_LIMIT_PER_5_MIN`.
    :param auth: ``ApiAuth.iam()`` (callers sign with SigV4 and need
        ``execute-api:Invoke``, see ``grant_start``) or ``ApiAuth.cognito(user_pool,
        scopes=...)`` (callers present a token of that pool; ``user_pool=None``
        creates one with ApiBackend's defaults). Default ``ApiAuth.iam()``.
    :param waf_logging: log the web ACL's requests to an ``aws-waf-logs-…`` log
        group (retention, RETAIN, credentials redacted). Default True.
    """

    input_schema: Optional[Mapping[str, Any]] = None
    execution_name_field: Optional[str] = None
    rate_limit: Optional[float] = None
    burst_limit: Optional[int] = None
    waf_rate_limit: Optional[int] = None
    auth: Optional[ApiAuth] = None
    waf_logging: bool = True


def validate_start_api(problems: Problems, api: Any) -> None:
    """Every rule of :class:`SagaStartApi`, collected into ``problems``."""
    if not isinstance(api, SagaStartApi):
        problems.add("start_api", api, "a SagaStartApi", "pass start_api=SagaStartApi()")
        return
    validate_waf_logging(problems, api.waf_logging, "start_api.waf_logging")
    field = api.execution_name_field
    if field is not None:
        problems.check(
            isinstance(field, str) and bool(_FIELD_RE.match(field)),
            "start_api.execution_name_field",
            field,
            "a top-level JSON field name: letters, digits and '_', not starting with a digit",
            "name the input field that identifies the business transaction, e.g. 'order_id'",
        )
    schema = api.input_schema
    if schema is not None:
        problems.check(
            isinstance(schema, Mapping) and schema.get("type", "object") == "object",
            "start_api.input_schema",
            schema,
            "a JSON schema (draft 4) mapping for an object (the execution input is a JSON object)",
            "pass e.g. {'type': 'object', 'required': ['order_id'], 'properties': {...}}",
        )
        if isinstance(schema, Mapping) and isinstance(field, str):
            problems.check(
                field in (schema.get("required") or ()),
                "start_api.input_schema",
                f"required={list(schema.get('required') or ())}",
                f"a schema that requires the execution name field {field!r}",
                f"add {field!r} to the schema's 'required' list",
            )
    if api.auth is not None:
        kind = api.auth.kind if isinstance(api.auth, ApiAuth) else None
        if kind in (AuthKind.IAM, AuthKind.COGNITO):
            validate_auth(problems, api.auth, field_name="start_api.auth")
        else:
            problems.add(
                "start_api.auth",
                f"ApiAuth.{kind.value}" if kind is not None else api.auth,
                "ApiAuth.iam() or ApiAuth.cognito(...) (who may start executions is always authorized at the gateway)",
                "pass auth=ApiAuth.iam() for services, or ApiAuth.cognito(user_pool) for signed-in users",
            )
    settings = _stage_settings(api)
    validate_throttling(
        problems,
        settings.rate,
        settings.burst,
        settings.waf_rate_limit,
        rate_field="start_api.rate_limit",
        burst_field="start_api.burst_limit",
        waf_field="start_api.waf_rate_limit",
    )


def _input_schema(api: SagaStartApi, name_pattern: str) -> dict[str, Any]:
    if api.input_schema is not None:
        schema = dict(api.input_schema)
    else:
        schema = {"type": "object"}
        if api.execution_name_field is not None:
            schema["required"] = [api.execution_name_field]
            schema["properties"] = {api.execution_name_field: {"type": "string", "pattern": name_pattern}}
    return schema


def _durable_integration(role: iam.IRole, target: lambda_.IFunction, name_field: Optional[str],
                         responses: list[apigw.IntegrationResponse]) -> apigw.AwsIntegration:
    """Lambda ``Invoke`` of the orchestrator's alias, asynchronously (``X-Amz-Invocation-Type: Event``),
    the execution named by a body field (``X-Amz-Durable-Execution-Name``); the body is the input."""
    headers = {"integration.request.header.X-Amz-Invocation-Type": "'Event'"}
    if name_field is not None:
        headers["integration.request.header.X-Amz-Durable-Execution-Name"] = f"method.request.body.{name_field}"
    accepted = apigw.IntegrationResponse(
        status_code="202",
        selection_pattern=r"2\d{2}",
        response_parameters={
            f"method.response.header.{DURABLE_EXECUTION_ARN_HEADER}": f"integration.response.header.{DURABLE_EXECUTION_ARN_HEADER}"
        },
        response_templates={"application/json": '{"started": true}'},
    )
    return apigw.AwsIntegration(
        service="lambda",
        path=f"2015-03-31/functions/{target.function_arn}/invocations",
        integration_http_method="POST",
        options=apigw.IntegrationOptions(
            credentials_role=role,
            passthrough_behavior=apigw.PassthroughBehavior.NEVER,
            request_parameters=headers,
            request_templates={"application/json": "$input.json('$')"},
            integration_responses=[accepted, *responses],
        ),
    )


def _request_template(state_machine_arn: str, name_field: Optional[str]) -> str:
    name = (
        f""""name": "$util.escapeJavaScript($input.path('$.{name_field}')){_UNESCAPE_QUOTE}", """
        if name_field
        else ""
    )
    return (
        "{"
        f'"stateMachineArn": "{state_machine_arn}", '
        f"{name}"
        f""""input": "$util.escapeJavaScript($input.json('$')){_UNESCAPE_QUOTE}\""""
        "}"
    )


def _stage_settings(api: SagaStartApi) -> ApiSettings:
    return ApiSettings.of(rate=api.rate_limit, burst=api.burst_limit, waf_rate_limit=api.waf_rate_limit)


class SagaStartApiResources(Construct):
    """What :class:`SagaStartApi` builds: ``api``, ``url``, ``web_acl``,
    ``access_log_group``, ``role`` (the integration's), ``alarms``; with Cognito
    auth also ``authorizer``, ``user_pool`` and ``user_pool_client`` (a created
    pool's), else None."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: SagaStartApi,
        state_machine: Optional[sfn.IStateMachine] = None,
        durable_target: Optional[lambda_.IFunction] = None,
        pattern: PatternOptions,
    ) -> None:
        """Starts ``state_machine`` (StartExecution) or, for a ``DurableSaga``, invokes
        ``durable_target`` (the orchestrator's alias) as a durable execution; one of the two.
        ``pattern`` holds the saga's alarm topic, alarms on/off, removal policy and log retention."""
        super().__init__(scope, construct_id)
        self.access_log_group = create_log_group(
            self, "AccessLogs", retention=pattern.log_retention, removal_policy=pattern.removal_policy
        )
        self.api = regional_rest_api(
            self,
            description=f"Starts executions of {scope.node.path}",
            # The same stage as every ApiBackend: throttling, ERROR execution logs
            # without request data, JSON access logs, X-Ray.
            deploy_options=stage_options(
                _stage_settings(options), self.access_log_group, cache=None, parsed={}, detailed_metrics=False
            ),
        )
        self.url: str = self.api.url
        self.role = iam.Role(
            self,
            "IntegrationRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description=f"API Gateway starts executions of {scope.node.path} (nothing else)",
        )
        if durable_target is not None:
            grant_exactly(self.role, actions=["lambda:InvokeFunction"], resources=[durable_target.function_arn])
            what = "Lambda Invoke of a durable function's alias (AWS service integration)"
        else:
            assert state_machine is not None
            state_machine.grant_start_execution(self.role)
            what = "Step Functions StartExecution (AWS service integration)"
        acknowledge_inline_policies(self.role)
        acknowledge_stage_findings(self.api.deployment_stage, integrations=what, cache=None)

        model = request_model(
            self,
            "ExecutionInput",
            api=self.api,
            schema=_input_schema(options, EXECUTION_NAME_PATTERN if durable_target is None else DURABLE_EXECUTION_NAME_PATTERN),
            description="Execution input of the saga",
            reference_id="ExecutionInputModel",
        )
        validator = self.api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        json_error = '{"message": "$util.escapeJavaScript($input.path(\'$.message\'))' + _UNESCAPE_QUOTE + '"}'
        errors = [
            # ExecutionAlreadyExists / DurableExecutionAlreadyStartedException, InvalidName, ...
            apigw.IntegrationResponse(
                status_code="400",
                selection_pattern=r"4\d{2}",
                response_templates={"application/json": json_error},
            ),
            apigw.IntegrationResponse(
                status_code="500",
                selection_pattern=r"5\d{2}",
                response_templates={"application/json": '{"message": "Internal error"}'},
            ),
        ]
        if durable_target is not None:
            integration = _durable_integration(self.role, durable_target, options.execution_name_field, errors)
            method_responses = [
                apigw.MethodResponse(status_code="202", response_parameters={f"method.response.header.{DURABLE_EXECUTION_ARN_HEADER}": True}),
                apigw.MethodResponse(status_code="400"),
                apigw.MethodResponse(status_code="500"),
            ]
        else:
            assert state_machine is not None
            integration = apigw.AwsIntegration(
                service="states",
                action="StartExecution",
                integration_http_method="POST",
                options=apigw.IntegrationOptions(
                    credentials_role=self.role,
                    passthrough_behavior=apigw.PassthroughBehavior.NEVER,
                    request_templates={
                        "application/json": _request_template(
                            state_machine.state_machine_arn, options.execution_name_field
                        )
                    },
                    integration_responses=[apigw.IntegrationResponse(status_code="200"), *errors],
                ),
            )
            method_responses = [apigw.MethodResponse(status_code=code) for code in ("200", "400", "500")]
        auth = options.auth if options.auth is not None else ApiAuth.iam()
        self.auth = auth
        built = build_authorizer(self, auth, removal_policy=pattern.removal_policy, make_function=_no_function)
        self.authorizer = built.authorizer
        self.user_pool = built.user_pool
        self.user_pool_client = built.user_pool_client
        self.method = self.api.root.add_resource(RESOURCE_PATH).add_method(
            "POST",
            integration,
            authorization_type=built.authorization_type,
            authorizer=built.authorizer,
            authorization_scopes=list(auth.scopes) or None,
            request_validator=validator,
            request_models={
                "application/json": model
            },
            method_responses=method_responses,
        )

        self.web_acl: wafv2.CfnWebACL = create_web_acl(
            self, "WebAcl", rate_limit=options.waf_rate_limit, metric_name="SagaStartApiWebAcl"
        )
        self.web_acl_log_group: Optional[logs.LogGroup] = (
            log_web_acl(
                self, "WebAclLogs", self.web_acl, retention=pattern.log_retention, removal_policy=pattern.removal_policy
            )
            if options.waf_logging
            else None
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )
        if auth.kind is AuthKind.IAM:
            acknowledge(
                self.api,
                AWS_SOLUTIONS + "COG4",
                "POST /executions is authorized with IAM (SigV4): callers are services and operators "
                "with AWS credentials granted execute-api:Invoke, not end users with a Cognito identity; "
                "AwsSolutions-APIG4 still checks that the method is authorized.",
            )

        self.alarms: list[cloudwatch.Alarm] = pattern.alarms(
            self,
            [
                AlarmSpec(
                    "ServerErrorsAlarm",
                    metric=sum_metric(self.api.deployment_stage.metric_server_error()),
                    threshold=1,
                    description=f"{self.node.path}: starting executions returned 5XX "
                    "(Step Functions unavailable or throttling StartExecution).",
                ),
            ],
        )

    def grant_start(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to call ``POST /executions`` (execute-api:Invoke on that method only).

        What IAM auth checks; with Cognito auth the caller's token decides instead."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["execute-api:Invoke"],
            resource_arns=[self.api.arn_for_execute_api("POST", f"/{RESOURCE_PATH}", self.api.deployment_stage.stage_name)],
        )


def _no_function(*_: Any) -> Any:
    raise AssertionError("the start API takes no Lambda authorizer (validated before)")


def add_start_api(
    scope: Construct,
    options: Optional[SagaStartApi],
    alarms: list[cloudwatch.Alarm],
    *,
    pattern: PatternOptions,
    state_machine: Optional[sfn.IStateMachine] = None,
    durable_target: Optional[lambda_.IFunction] = None,
) -> Optional[SagaStartApiResources]:
    """``scope``'s ``StartApi`` when ``options`` is given (its alarms appended to ``alarms``), else None."""
    if options is None:
        return None
    made = SagaStartApiResources(
        scope,
        "StartApi",
        options=options,
        state_machine=state_machine,
        durable_target=durable_target,
        pattern=pattern,
    )
    alarms.extend(made.alarms)
    return made
