"""Publish an OCI image manifest to Amazon ECR with the bundled Arazzo workflow.

    python examples/publish_image.py --local        # a throw-away local ECR (moto, SigV4 on)
    python examples/publish_image.py                # real AWS, from your normal AWS config

Without ``--local`` the usual AWS configuration applies (``AWS_PROFILE``, ``AWS_REGION``,
``~/.aws/config`` and ``credentials``, SSO, ``AWS_ENDPOINT_URL_ECR``...); the repository named
in the inputs must already exist. Prints the run as JSON and exits 0 on success, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from arazzo_engine import ArazzoError, AwsSettings, RunResult, run_workflow

HERE = Path(__file__).resolve().parent
WORKFLOW = HERE.parent / "specs" / "arazzo" / "amazon-ecr-publish-image-workflow.yml"
INPUTS = HERE / "publish-image.inputs.json"


def summary(result: RunResult) -> dict[str, Any]:
    """The run as plain JSON data."""
    return {
        "success": result.success,
        "outputs": result.outputs,
        "steps": [
            {
                "stepId": step.step_id,
                "success": step.success,
                "statusCode": step.status_code,
                "outputs": step.outputs,
            }
            for step in result.steps
        ],
        "error": result.error,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--local", action="store_true", help="run against a local ECR (needs the [local] extra)"
    )
    parser.add_argument("--inputs", type=Path, default=INPUTS, help="workflow inputs (JSON)")
    parser.add_argument("--tag", help="override the imageTag input")
    parser.add_argument("--profile", help="AWS profile (real AWS only)")
    parser.add_argument("--region", help="AWS region (real AWS only)")
    args = parser.parse_args(argv)

    inputs: dict[str, Any] = json.loads(args.inputs.read_text(encoding="utf-8"))
    if args.tag:
        inputs["imageTag"] = args.tag
    try:
        if args.local:
            from arazzo_engine.aws.local_ecr import LocalEcr

            with LocalEcr(repository=inputs["repositoryName"]) as ecr:
                result = run_workflow(WORKFLOW, "publish-image", inputs, aws=ecr.aws_settings())
        else:
            aws = AwsSettings(region=args.region, profile=args.profile)
            result = run_workflow(WORKFLOW, "publish-image", inputs, aws=aws)
    except ArazzoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary(result), indent=2, default=str))
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
