"""Reports of runs: a JSON report, JUnit XML and HAR 1.2.

Each takes the results of one or more workflow runs (a CLI invocation may run several) and
holds only redacted data: results never carry credentials, and inputs are masked again here.
"""

from __future__ import annotations

from .har import to_har
from .json import mask_inputs, to_report
from .junit import to_junit_xml

__all__ = ["mask_inputs", "to_har", "to_junit_xml", "to_report"]
