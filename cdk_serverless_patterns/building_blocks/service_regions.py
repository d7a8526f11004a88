"""Where AWS offers the services the patterns use, for the checks made at synth.

Data, with its source and the date it was taken: a Region that gains a service
needs only this module updated. Regions not named anywhere here (a Region newer
than the data) are not judged.
"""

from __future__ import annotations

#: When the lists below were taken.
AS_OF = "2026-12-07"

#: Regions with Amazon EventBridge Pipes (``pipes`` endpoints). Source: the
#: ``pipes`` service of botocore 1.44.5's ``data/endpoints.json`` (the endpoint
#: table the AWS SDKs ship), which agrees with the AWS General Reference page
#: "Amazon EventBridge Pipes endpoints and quotas"
#: (https://docs.aws.amazon.com/general/latest/gr/ev_pipes.html).
PIPES_REGIONS = (
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ca-central-1", "eu-central-1",
    "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "me-central-1", "me-south-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "cn-north-1", "cn-northwest-1",
)

#: Regions of the aws, aws-cn and aws-us-gov partitions without EventBridge Pipes
#: (same source and date: the partitions' Regions minus :data:`PIPES_REGIONS`). A
#: stack that creates a pipe fails to deploy there (``AWS::Pipes::Pipe`` is not a
#: resource type of those Regions).
REGIONS_WITHOUT_PIPES = (
    "ap-east-2", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1",
    "il-central-1", "mx-central-1", "us-gov-east-1", "us-gov-west-1",
)
