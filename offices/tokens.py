"""API tokens of staff: they expire after API_TOKEN_TTL_HOURS, and a password
change or a deactivation revokes them."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


class TokenExpired(AuthenticationFailed):
    default_code = "token_expired"
    default_detail = "Срок действия токена истёк. Получите новый: POST /api/v1/auth/token/."


def expired(token: Token, now=None) -> bool:
    return (now or timezone.now()) >= token.created + timedelta(hours=settings.API_TOKEN_TTL_HOURS)


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if expired(token):
            token.delete()
            raise TokenExpired()
        return user, token


def token_for(user) -> Token:
    """The user's token; a new one when the stored one has expired."""
    token = Token.objects.filter(user=user).first()
    if token is not None and expired(token):
        token.delete()
        token = None
    return token or Token.objects.create(user=user)


# Receivers, not a call in some view: a password is changed in the admin, by
# `manage.py changepassword`, or by set_password() anywhere, and every one of
# those paths must revoke the tokens. The receivers only delete tokens.


def _note_password_change(sender, instance, **kwargs):
    # set_password() keeps the raw password in _password until the save.
    instance._revoke_tokens = getattr(instance, "_password", None) is not None or not instance.is_active


def _revoke_tokens(sender, instance, created, **kwargs):
    if not created and getattr(instance, "_revoke_tokens", False):
        Token.objects.filter(user=instance).delete()


def connect_receivers() -> None:
    user_model = get_user_model()
    pre_save.connect(_note_password_change, sender=user_model, dispatch_uid="tokens-note-password-change")
    post_save.connect(_revoke_tokens, sender=user_model, dispatch_uid="tokens-revoke")
