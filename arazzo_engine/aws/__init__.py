"""AWS helpers: OpenAPI 3.1 descriptions generated from botocore's service models.

See [`arazzo_engine.aws.openapi`][arazzo_engine.aws.openapi]; run ``python -m arazzo_engine.aws
--help`` for the CLI.
"""
