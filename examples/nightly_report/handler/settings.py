"""Names shared by the stack (which sets them) and the handler (which reads them)."""

#: Table of user sessions (partition key ``session_id``, ``expires_at`` epoch seconds).
SESSIONS_TABLE = "SESSIONS_TABLE_NAME"
#: Table of cleanup reports (partition key ``job``, sort key ``scheduled_time``).
REPORTS_TABLE = "REPORTS_TABLE_NAME"
#: CloudWatch namespace of the job's embedded-format metrics.
METRIC_NAMESPACE = "NightlyReport"
