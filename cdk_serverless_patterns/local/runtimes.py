"""Which runner runs a function, by its runtime; inline code; the functions LocalCloud does not run.

* ``python*`` — in-process (:mod:`.functions`);
* ``nodejs*`` — a Node worker per function (:mod:`.node`);
* container images (``PackageType: Image``) and the other runtimes (``java*``,
  ``dotnet*``, ``ruby*``, ``provided*``) are not run: they are named once when
  the cloud opens, and an invocation fails with ``Runtime.NotRunLocally``
  saying so — never a confusing error.

Inline code (``Code.ZipFile``) is written to a folder of its own, as Lambda
unpacks it: ``index.py`` with CloudFormation's ``cfnresponse`` module beside
it, or ``index.js`` with ``cfn-response`` (the two modules AWS adds to inline
code for custom resources).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from .functions import HandlerError

if TYPE_CHECKING:
    from .context import CloudContext
    from .functions import LocalFunction
    from .template import Resource

#: ``LocalFunction.runtime`` of a container image function (it has no ``Runtime``).
IMAGE = "image"

_CFNRESPONSE_PY = '''"""CloudFormation's cfnresponse module for inline Python code (LocalCloud's copy: same API)."""
import json
import urllib.request

SUCCESS = "SUCCESS"
FAILED = "FAILED"


def send(event, context, responseStatus, responseData, physicalResourceId=None, noEcho=False, reason=None):
    body = {
        "Status": responseStatus,
        "Reason": reason or "See the details in CloudWatch Log Stream: " + context.log_stream_name,
        "PhysicalResourceId": physicalResourceId or context.log_stream_name,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": noEcho,
        "Data": responseData,
    }
    data = json.dumps(body).encode()
    request = urllib.request.Request(event["ResponseURL"], data=data, method="PUT",
                                     headers={"content-type": "", "content-length": str(len(data))})
    try:
        with urllib.request.urlopen(request) as response:
            print("Status code:", response.status)
    except Exception as e:
        print("send(..) failed executing http.request(..):", e)
'''

_CFN_RESPONSE_JS = r"""// CloudFormation's cfn-response module for inline Node.js code (LocalCloud's copy: same API).
exports.SUCCESS = "SUCCESS";
exports.FAILED = "FAILED";
exports.send = function (event, context, responseStatus, responseData, physicalResourceId, noEcho) {
  return new Promise((resolve) => {
    const body = JSON.stringify({
      Status: responseStatus,
      Reason: "See the details in CloudWatch Log Stream: " + context.logStreamName,
      PhysicalResourceId: physicalResourceId || context.logStreamName,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      NoEcho: noEcho || false,
      Data: responseData,
    });
    const url = new URL(event.ResponseURL);
    const transport = require(url.protocol === "https:" ? "https" : "http");
    const request = transport.request(url, { method: "PUT", headers: { "content-type": "", "content-length": Buffer.byteLength(body) } },
      (response) => { response.resume(); response.on("end", () => { context.done(); resolve(); }); });
    request.on("error", (error) => { console.log("send(..) failed executing https.request(..): " + error); context.done(); resolve(); });
    request.write(body);
    request.end();
  });
};
"""


def runtime_of(properties: Mapping[str, Any]) -> str:
    """The runtime a function's properties declare (``image`` for a container image)."""
    if str(properties.get("PackageType", "Zip")) == "Image":
        return IMAGE
    return str(properties.get("Runtime", "python3"))


def not_run_reason(runtime: str) -> Optional[str]:
    """Why LocalCloud does not run a function of ``runtime``, or None when it does."""
    if runtime.startswith(("python", "nodejs")):
        return None
    if runtime == IMAGE:
        return "a container image (PackageType Image); test the image with its own tooling (docker run with the Lambda runtime interface emulator)"
    return f"runtime {runtime}: LocalCloud runs Python and Node.js handlers only; test this handler with its own unit tests"


class InlineCode:
    """The folders inline code is written to for one open cloud; removed when it closes."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.root = Path(tempfile.mkdtemp(prefix="localcloud-inline-"))
        ctx.on_close(lambda: shutil.rmtree(self.root, ignore_errors=True))

    def folder(self, resource: "Resource", source: str, runtime: str) -> Path:
        """A folder holding ``source`` as Lambda unpacks inline code for ``runtime``."""
        folder = self.root / resource.logical_id
        folder.mkdir(parents=True, exist_ok=True)
        if runtime.startswith("nodejs"):
            (folder / "index.js").write_text(source)
            module = folder / "node_modules" / "cfn-response"
            module.mkdir(parents=True, exist_ok=True)
            (module / "index.js").write_text(_CFN_RESPONSE_JS)
        else:
            (folder / "index.py").write_text(source)
            (folder / "cfnresponse.py").write_text(_CFNRESPONSE_PY)
        return folder

    def empty(self, resource: "Resource") -> Path:
        """An empty folder: the code of a function LocalCloud does not run."""
        folder = self.root / f"{resource.logical_id}-not-run"
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def code_dir_without_asset(ctx: "CloudContext", resource: "Resource", not_run: dict[str, str]) -> Path:
    """The code folder of a function with no asset in the cloud assembly: inline code, or an empty one.

    A function whose code LocalCloud cannot have (a container image, code in an
    S3 bucket outside the assembly) gets an empty folder and an entry in
    ``not_run`` (logical id -> why), named once at open.
    """
    inline = ctx.shared(InlineCode)
    props = resource.properties
    runtime = runtime_of(props)
    source = (props.get("Code") or {}).get("ZipFile")
    if source is not None and not_run_reason(runtime) is None:
        return inline.folder(resource, str(ctx.template.resolve(source)), runtime)
    if resource.logical_id not in not_run:
        not_run[resource.logical_id] = not_run_reason(runtime) or (
            "its code is not in the cloud assembly (an S3 bucket or another stack's asset); "
            "build it from a local asset (Code.from_asset) to run it"
        )
    return inline.empty(resource)


def report_not_run(ctx: "CloudContext", not_run: Mapping[str, str]) -> None:
    """One warning naming every function that is not run: type, logical id, why and what to do."""
    if not_run:
        listed = "; ".join(f"AWS::Lambda::Function {lid}: {why}" for lid, why in sorted(not_run.items()))
        ctx.warn_once("functions-not-run", f"LocalCloud does not run these functions (an invocation fails with Runtime.NotRunLocally): {listed}")


def foreign_entry(ctx: "CloudContext", function: "LocalFunction") -> Optional[Callable[[Any, Any], Any]]:
    """The handler callable for a function that is not in-process Python (None for Python)."""
    if function.runtime.startswith("python"):
        return None
    reason = not_run_reason(function.runtime)
    if reason is None:
        from .node import NodeRuntime

        return ctx.shared(NodeRuntime).entry(function)

    def not_run(event: Any, context: Any) -> Any:
        raise HandlerError("Runtime.NotRunLocally", f"LocalCloud does not run function {function.name} ({function.logical_id}): {reason}")

    return not_run

