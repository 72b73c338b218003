"""Checks of the template as CloudFormation deploys it: the SAM transform expanded offline, then cdk-nag (AWS
Solutions and Serverless), cfn-lint and checkov over every resource, the API and the functions included."""
