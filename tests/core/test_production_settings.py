"""The settings a production site runs with (HTTPS=true, DEBUG=false, its own key and hosts).

Settings are read from the environment once, at import: each test starts a fresh
interpreter with that environment, as `designmall serve` would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PRODUCTION = {
    "DEBUG": "false",
    "HTTPS": "true",
    "SECRET_KEY": "x7Jq-production-only-Vb3nN0t4R3alK3yButL0ngAndRand0m-2Hq9sLw8ZpTe5Yc1",
    "ALLOWED_HOSTS": "mall.example.com,testserver",
    "PAYMENTS_GATEWAY": "alipay",
}


def _environ(tmp_path, **overrides: str) -> dict[str, str]:
    """This process's environment less every setting, plus production's and ``overrides``."""
    ours = ("DJANGO_", "PAYMENTS_", "SECURE_", "DATABASE_URL", "REDIS_URL", "TEST_DATABASE")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    for name in ("DEBUG", "HTTPS", "SECRET_KEY", "ALLOWED_HOSTS"):
        environ.pop(name, None)
    environ.update(PRODUCTION, DESIGNMALL_VAR=str(tmp_path), **overrides)
    return environ


def _designmall(tmp_path, *args: str, **overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "designmall.cli", *args],
        env=_environ(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _python(tmp_path, code: str, **overrides: str):
    """Run ``code`` with production settings loaded; it prints one JSON value."""
    prelude = (
        "import json, os, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'designmall.settings')\n"
        "django.setup()\n"
        "from django.conf import settings\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + code],
        env=_environ(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    done = _designmall(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_https_sends_hsts_redirects_http_and_keeps_cookies_secure(tmp_path):
    values = _python(
        tmp_path,
        "print(json.dumps({n: getattr(settings, n) for n in ("
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_PROXY_SSL_HEADER')}))",
    )
    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_a_request_over_http_is_redirected_and_one_over_https_gets_hsts(tmp_path):
    answers = _python(
        tmp_path,
        "from django.test import Client\n"
        "plain = Client().get('/api/v1/nothing?x=1')\n"
        "secure = Client().get('/api/v1/nothing', headers={'X-Forwarded-Proto': 'https'})\n"
        "print(json.dumps([plain.status_code, plain.get('Location'),"
        " secure.status_code, secure.get('Strict-Transport-Security')]))",
    )
    assert answers == [
        301,
        "https://testserver/api/v1/nothing?x=1",
        404,
        "max-age=31536000; includeSubDomains",
    ]


def test_the_health_check_answers_load_balancers_on_plain_http(tmp_path):
    status = _python(
        tmp_path, "from django.test import Client\nprint(Client().get('/healthz').status_code)"
    )
    assert status in (200, 503)  # answered (503: this fresh database is not migrated), not 301


def test_without_https_nothing_is_redirected(tmp_path):
    values = _python(
        tmp_path,
        "print(json.dumps([settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS]))",
        HTTPS="false",
    )
    assert values == [False, 0]


# --- the sandbox cashier in production -----------------------------------------------------


def test_serve_refuses_the_sandbox_cashier_in_production(tmp_path):
    done = _designmall(tmp_path, "serve", "--bind", "127.0.0.1:1", PAYMENTS_GATEWAY="sandbox")
    assert done.returncode != 0
    assert "refusing to serve" in done.stderr
    assert "PAYMENTS_SANDBOX_IN_PRODUCTION" in done.stderr


def test_serve_refuses_a_sandbox_switched_on_beside_alipay_in_production(tmp_path):
    done = _designmall(tmp_path, "serve", "--bind", "127.0.0.1:1", PAYMENTS_SANDBOX_ENABLED="true")
    assert done.returncode != 0
    assert "refusing to serve" in done.stderr


@pytest.mark.parametrize("gateway", ["sandbox", "alipay"])
def test_the_sandbox_is_off_in_production_whatever_the_environment_asks(tmp_path, gateway):
    enabled = _python(
        tmp_path,
        "print(json.dumps(settings.PAYMENTS_SANDBOX_ENABLED))",
        PAYMENTS_GATEWAY=gateway,
        PAYMENTS_SANDBOX_ENABLED="true",
    )
    assert enabled is False


def test_the_sandbox_may_be_allowed_in_production_explicitly(tmp_path):
    values = _python(
        tmp_path,
        "print(json.dumps([settings.PAYMENTS_SANDBOX_ENABLED, settings.PAYMENTS_SANDBOX_REFUSED]))",
        PAYMENTS_GATEWAY="sandbox",
        PAYMENTS_SANDBOX_IN_PRODUCTION="true",
    )
    assert values == [True, False]


def test_the_sandbox_stays_on_for_the_demo_without_https(tmp_path):
    values = _python(
        tmp_path,
        "print(json.dumps([settings.PAYMENTS_SANDBOX_ENABLED, settings.PAYMENTS_SANDBOX_REFUSED]))",
        PAYMENTS_GATEWAY="sandbox",
        HTTPS="false",
    )
    assert values == [True, False]
