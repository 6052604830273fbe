"""AWS Lambda entry points: the API behind API Gateway, its authorizer, and the maintenance
function (migrations and the scheduled jobs).

API Gateway calls :func:`mnemora_server.aws_lambda.authorizer.handler` with the request's
``Authorization`` header; it hashes the key, finds the tenant, tier, limits, key id and
scope, and hands them on in the authorizer context. :func:`mnemora_server.aws_lambda.api.handler`
runs the same Falcon app as ``mnemora-server serve`` (through ``apig-wsgi``, for REST API v1
and HTTP API v2 events) with the tenant taken from that context alone: no handler reads a
tenant from the request, and a request without the context is refused. Metering and rate
limits count every call as they do on a server of its own.

Configuration is the server's (``MNEMORA_*_URL`` for DynamoDB, S3 and PostgreSQL), plus the
PostgreSQL credentials read once per cold start from Secrets Manager
(:mod:`mnemora_server.aws_lambda.environment`). ``deploy/aws/template.yaml`` wires it all.
"""
