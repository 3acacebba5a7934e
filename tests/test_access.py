"""Browser origins and signed tokens (coach/access.py), and their settings."""

from __future__ import annotations

import time

import jwt
import pytest

from coach.access import TokenCheck, origin_allowed, same_origins
from coach.settings import SettingError, Settings

SECRET = "a-test-secret-long-enough-for-hs256-keys"


def test_the_widgets_own_origin_passes_and_others_only_when_listed():
    own = same_origins("http", "coach.example:5005", {})
    assert origin_allowed("http://coach.example:5005", own, ())
    assert not origin_allowed("https://evil.example", own, ())
    assert origin_allowed("https://clinic.example", own, ("https://clinic.example",))
    assert origin_allowed(None, own, ()), "curl and servers send no Origin"


def test_behind_a_balancer_the_forwarded_origin_is_the_own_one():
    own = same_origins(
        "http",
        "10.0.0.7:5005",
        {"x-forwarded-proto": "https", "x-forwarded-host": "coach.example"},
    )
    assert origin_allowed("https://coach.example", own, ())


def test_origins_come_from_one_setting():
    settings = Settings.from_env(
        {"PSOAS_CORS_ORIGINS": "https://a.example/, https://b.example:8443"}
    )
    assert settings.cors_origins == ("https://a.example", "https://b.example:8443")
    with pytest.raises(SettingError):
        Settings.from_env({"PSOAS_CORS_ORIGINS": "a.example"})


def token(secret: str, **claims: object) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def test_without_a_secret_no_token_is_needed():
    check = TokenCheck("")
    assert not check.required and check.claims(None) is not None


def test_a_valid_token_passes_and_binds_its_conversation():
    check = TokenCheck(SECRET)
    claims = check.claims("Bearer " + token(SECRET, sub="user-42"))
    assert claims is not None and claims.subject == "user-42"
    assert check.claims(token(SECRET)).subject is None


@pytest.mark.parametrize(
    "presented",
    [None, "", "Bearer ", "garbage", 42, token("other-secret", sub="x")],
)
def test_missing_forged_or_garbled_tokens_fail(presented: object):
    assert TokenCheck(SECRET).claims(presented) is None


def test_an_expired_token_fails():
    expired = token(SECRET, sub="x", exp=int(time.time()) - 10)
    assert TokenCheck(SECRET).claims(expired) is None


def test_scale_settings_parse_and_refuse_nonsense():
    settings = Settings.from_env(
        {"PSOAS_RETENTION_DAYS": "7", "PSOAS_VOICE_RATE": "5/10", "PSOAS_VOICE_CONCURRENCY": "1"}
    )
    assert (settings.retention_days, settings.voice_rate, settings.voice_concurrency) == (
        7,
        (5, 10.0),
        1,
    )
    assert Settings.from_env({}).retention_days == 30
    for bad in (
        {"PSOAS_VOICE_RATE": "fast"},
        {"PSOAS_VOICE_RATE": "0/60"},
        {"PSOAS_RETENTION_DAYS": "x"},
    ):
        with pytest.raises(SettingError):
            Settings.from_env(bad)
