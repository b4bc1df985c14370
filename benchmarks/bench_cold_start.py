"""A fresh process running the bundled workflow: the CLI against a fresh boto3 script.

Each measurement starts a new Python process, as a CI job or a shell script would:

* ``arazzo-engine run specs/arazzo/...yml publish-image --inputs ... --json`` (the CLI's default
  ``--contract warn`` checks each response against the OpenAPI description);
* the same with ``--contract off`` (what the run costs without the contract check);
* the same after the document changed (a copy whose bytes differ, so no cache can help);
* a script doing the same three calls with boto3;
* a script doing them with httpx + botocore's signer.

All against the local ECR-compatible server, credentials and endpoint from ``AWS_*`` variables.
Prints the median wall time of ``--runs`` starts of each and the ratios to boto3. A measurement,
not a test.

Every process may read and write bytecode caches (``PYTHONDONTWRITEBYTECODE`` is dropped, and
the package is byte-compiled first), as for a package installed from a wheel: otherwise the
engine's own modules would be compiled from source at every start while boto3's would not.

    python benchmarks/bench_cold_start.py [--runs 10] [--python PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import INPUTS_FILE, ROOT, SPEC, aws_environment, local_server

BOTO3_SCRIPT = """
import json, sys
import boto3
inputs = json.load(open(sys.argv[1]))
ecr = boto3.client("ecr")
ecr.describe_repositories(repositoryNames=[inputs["repositoryName"]])
ecr.put_image(repositoryName=inputs["repositoryName"], imageManifest=inputs["imageManifest"],
              imageManifestMediaType=inputs["imageManifestMediaType"], imageTag=inputs["imageTag"])
out = ecr.batch_get_image(repositoryName=inputs["repositoryName"],
                          imageIds=[{"imageTag": inputs["imageTag"]}])
print(json.dumps(out["images"], default=str))
"""

RAW_SCRIPT = """
import json, os, sys
import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
inputs = json.load(open(sys.argv[1]))
endpoint = os.environ["AWS_ENDPOINT_URL_ECR"]
creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
calls = [
    ("DescribeRepositories", {"repositoryNames": [inputs["repositoryName"]]}),
    ("PutImage", {k: inputs[k] for k in ("repositoryName", "imageManifest",
                                         "imageManifestMediaType", "imageTag")}),
    ("BatchGetImage", {"repositoryName": inputs["repositoryName"],
                       "imageIds": [{"imageTag": inputs["imageTag"]}]}),
]
with httpx.Client() as client:
    for op, payload in calls:
        body = json.dumps(payload).encode()
        request = AWSRequest(method="POST", url=endpoint + "/", data=body, headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921." + op})
        SigV4Auth(creds, "ecr", os.environ["AWS_REGION"]).add_auth(request)
        response = client.post(endpoint + "/", content=body, headers=dict(request.headers))
        assert response.status_code == 200, response.text
print(json.dumps(response.json()["images"]))
"""


def _time(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the interpreter of every process (default: this one); e.g. a virtualenv with "
        "just `pip install . boto3`, as a user's, where the development tools (click, rich: "
        "httpx imports its own CLI when they are there) are absent",
    )
    args = parser.parse_args()
    python = args.python
    cli = [python, "-m", "arazzo_engine", "run"]
    subprocess.run([python, "-m", "compileall", "-q", str(ROOT / "arazzo_engine")], check=True)
    with local_server() as endpoint, tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(aws_environment(endpoint))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        boto3_script = Path(folder) / "boto3_calls.py"
        boto3_script.write_text(BOTO3_SCRIPT)
        raw_script = Path(folder) / "raw_calls.py"
        raw_script.write_text(RAW_SCRIPT)
        specs = Path(folder) / "specs"
        shutil.copytree(ROOT / "specs", specs)
        changed = specs / "arazzo" / SPEC.name
        inputs = ["--inputs", str(INPUTS_FILE), "--json"]
        times: dict[str, list[float]] = {
            "cli": [],
            "off": [],
            "changed": [],
            "boto3": [],
            "raw": [],
        }
        for index in range(args.runs + 1):  # the first round warms the OS caches
            round_times = {
                "cli": _time([*cli, str(SPEC), "publish-image", *inputs], env),
                "off": _time([*cli, str(SPEC), "publish-image", *inputs, "--contract", "off"], env),
                "boto3": _time([python, str(boto3_script), str(INPUTS_FILE)], env),
                "raw": _time([python, str(raw_script), str(INPUTS_FILE)], env),
            }
            with changed.open("a") as handle:  # new bytes: nothing cached can be reused
                handle.write(f"# change {index}\n")
            round_times["changed"] = _time([*cli, str(changed), "publish-image", *inputs], env)
            if index:
                for name, value in round_times.items():
                    times[name].append(value)
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}
    boto3 = median["boto3"]
    print(f"fresh processes of {python}, median of {args.runs} starts each, ms")
    print(f"boto3 script (3 calls)                        {boto3:7.0f}   1.00x")
    print(
        f"httpx + botocore signer script (3 calls)      {median['raw']:7.0f}   "
        f"{median['raw'] / boto3:.2f}x"
    )
    print(
        f"arazzo-engine run ... --json                  {median['cli']:7.0f}   "
        f"{median['cli'] / boto3:.2f}x"
    )
    print(
        f"arazzo-engine run ... --json --contract off   {median['off']:7.0f}   "
        f"{median['off'] / boto3:.2f}x"
    )
    print(
        f"arazzo-engine run ... --json, changed document {median['changed']:6.0f}   "
        f"{median['changed'] / boto3:.2f}x"
    )


if __name__ == "__main__":
    main()
