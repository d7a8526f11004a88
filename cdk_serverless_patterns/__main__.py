"""``python -m cdk_serverless_patterns findings|cost|diagram <cdk.out>`` (see :mod:`.tooling.cli`)."""

import sys

from cdk_serverless_patterns.tooling.cli import main

if __name__ == "__main__":
    sys.exit(main())
