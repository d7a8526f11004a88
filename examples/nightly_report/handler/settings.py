"""Names shared by the stack (which sets them) and the handler (which reads them)."""

#: Table of user sessions (partition key ``session_id``, ``expires_at`` epoch seconds).
SESSIONS_TABLE = "SESSIONS_TABLE_NAME"
#: Table of cleanup reports (partition key ``job``, sort key ``scheduled_time``).
REPORTS_TABLE = "REPORTS_TABLE_NAME"
#: CloudWatch namespace of the job's embedded-format metrics.
METRIC_NAMESPACE = "NightlyReport"
#: Environment variable holding the report signing key secret's ARN or name (``FunctionSpec(secrets=...)``).
SIGNING_KEY_SECRET = "REPORT_SIGNING_KEY_SECRET"
#: The signing key's secret name: created and rotated by the security team, outside this stack.
SIGNING_KEY_SECRET_NAME = "nightly-report/report-signing-key"
#: Environment variable holding the delete limit parameter's name (``FunctionSpec(parameters=...)``).
MAX_DELETES_PARAMETER = "MAX_DELETES_PARAMETER"
#: The delete limit parameter: operators lower it without a deployment if a bug ever expires too much.
MAX_DELETES_PARAMETER_NAME = "/nightly-report/max-deletes"
#: Its value when the stack creates it.
DEFAULT_MAX_DELETES = 10_000
