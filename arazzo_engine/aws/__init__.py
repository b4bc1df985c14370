"""AWS helpers: OpenAPI 3.1 descriptions generated from botocore's service models.

See :mod:`arazzo_engine.aws.openapi`; run ``python -m arazzo_engine.aws --help`` for the CLI.
"""
