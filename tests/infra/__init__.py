"""Offline checks of the CDK app in infra/: synthesized templates, IAM, cfn-lint and cdk-nag."""
