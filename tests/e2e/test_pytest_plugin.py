"""The pytest plugin on the bundled ECR example, against the local ECR (moto, SigV4 checked).

One test runs pytest on a scratch project (``pytester``) that collects the bundled document
through ``arazzo_files``, reads inputs from a sidecar file and gets its AWS settings from a
``conftest.py`` hook; the others use the ``arazzo_run`` fixture as an ordinary test would.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable

import pytest

from arazzo_engine.aws.local_ecr import LocalEcr
from arazzo_engine.results import RunResult
from tests.conftest import ROOT, SPEC

pytest_plugins = ["pytester"]

MANIFEST = (ROOT / "examples" / "oci-image-manifest.json").read_text(encoding="utf-8")


def _project(pytester: pytest.Pytester, local_ecr: LocalEcr, tag: str, repository: str) -> None:
    (pytester.path / "specs" / "arazzo").mkdir(parents=True)
    shutil.copytree(ROOT / "specs" / "openapi", pytester.path / "specs" / "openapi")
    target = pytester.path / "specs" / "arazzo" / "ecr.arazzo.yaml"
    shutil.copy(SPEC, target)
    inputs = {
        "publish-image": {"repositoryName": repository, "imageTag": tag, "imageManifest": MANIFEST}
    }
    target.with_name("ecr.arazzo.inputs.json").write_text(json.dumps(inputs), encoding="utf-8")
    pytester.makeini("[pytest]\narazzo_files = *.arazzo.yaml\n")
    settings = local_ecr.aws_settings()
    pytester.makeconftest(
        f"""
from arazzo_engine import AwsSettings

def pytest_arazzo_run_options(config, document, workflow_id):
    return {{"aws": AwsSettings(
        region={settings.region!r},
        access_key_id={settings.access_key_id!r},
        secret_access_key={settings.secret_access_key!r},
        endpoint_url={settings.endpoint_url!r},
    )}}
"""
    )


def test_plugin_collects_and_runs_the_bundled_workflow(
    pytester: pytest.Pytester, local_ecr: LocalEcr
) -> None:
    _project(pytester, local_ecr, "plugin-ok", "arazzo/demo")
    result = pytester.runpytest_inprocess("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*ecr.arazzo.yaml::publish-image PASSED*"])


def test_plugin_failure_shows_the_step_tree(pytester: pytest.Pytester, local_ecr: LocalEcr) -> None:
    _project(pytester, local_ecr, "plugin-fail", "arazzo/no-such-repository")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*FAIL confirmRepository * 400 *",
            "*[[]fail[]] $statusCode == 200*",
            "*$statusCode = 400*",
            "*workflow publish-image FAILED*",
        ]
    )


def test_arazzo_run_fixture(arazzo_run: Callable[..., RunResult], local_ecr: LocalEcr) -> None:
    result = arazzo_run(
        SPEC,
        "publish-image",
        {"repositoryName": "arazzo/demo", "imageTag": "fixture", "imageManifest": MANIFEST},
        aws=local_ecr.aws_settings(),
    )
    assert result.success, result.error
    assert result.outputs["image"]["imageId"]["imageTag"] == "fixture"
    assert [s.step_id for s in result.steps] == ["confirmRepository", "putImage", "verifyImage"]
    # the CLI's default contract checks ran and found the responses conform
    assert all(s.contract == [] for s in result.steps)
