"""The browser tests run under the same check as the integration tests: nothing secret in any log line."""

from tests.integration.conftest import nothing_secret_is_logged

__all__ = ["nothing_secret_is_logged"]
