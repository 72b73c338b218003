"""The service-orders CDK stack and what it is built from; `infra/app.py` is the CDK entry point."""
