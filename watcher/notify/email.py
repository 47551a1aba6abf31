"""Email delivery over SMTP (smtplib, synchronous): STARTTLS, implicit TLS or plain, optional login.

    EmailSender(spec, env).send(message)     env: where the variable named by `password_env` is read

The mail is multipart/alternative (text, then HTML when there is one), UTF-8 throughout (RFC 2047
subjects come from `email.message.EmailMessage`). Its `Message-ID` is `<idempotency-key@watcher>`, so
a message sent twice (after an ambiguous failure) is recognisable as one by the receiving side.

Failures become `DeliveryError`, retryable when a later attempt may succeed: connection refused or
broken, timeouts, 4xx replies. 5xx rejections, failed logins and missing settings are not retryable.
"""

from __future__ import annotations

import email.policy
import hashlib
import logging
import re
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate

from watcher.config import EmailChannel
from watcher.errors import DeliveryError
from watcher.notify.message import Message

logger = logging.getLogger(__name__)
_POLICY = email.policy.default.clone(max_line_length=998)

MESSAGE_ID_DOMAIN = "watcher"
_ID_LEFT = re.compile(r"^[A-Za-z0-9._+=-]+$")  # a safe id-left (dot-atom-text, RFC 5322 § 3.6.4)


def message_id(idempotency_key: str) -> str:
    """`<key@watcher>`; a key that is not a plain dot-atom is replaced by its SHA-256 digest."""
    left = idempotency_key
    if not _ID_LEFT.match(left) or ".." in left or left.startswith(".") or left.endswith("."):
        left = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{left}@{MESSAGE_ID_DOMAIN}>"


def build_email(message: Message, *, from_addr: str, to: tuple[str, ...]) -> EmailMessage:
    """The MIME message: headers, a text part and, when there is HTML, an alternative HTML part."""
    mail = EmailMessage(policy=_POLICY)  # headers with long URLs (List-Unsubscribe) stay unfolded
    mail["Subject"] = message.subject
    mail["From"] = from_addr
    mail["To"] = ", ".join(to)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = message_id(message.idempotency_key)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to alerts
    for name, value in message.headers:
        mail[name] = value
    mail.set_content(message.text, charset="utf-8")
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html", charset="utf-8")
    return mail


class EmailSender:
    """One configured SMTP channel; the password is read from `env[spec.password_env]` once, here."""

    def __init__(
        self, spec: EmailChannel, env: Mapping[str, str], *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.name = spec.name
        self.spec = spec
        self._ssl_context = ssl_context  # None: the system's trusted CAs
        self._password: str | None = None
        self._problem: str | None = None  # a setting that makes every send fail
        if spec.password_env is not None:
            self._password = env.get(spec.password_env)
            if self._password is None:
                self._problem = f"the SMTP password variable {spec.password_env} is not set"
        elif spec.username is not None:
            self._problem = "`username` is set but `password_env` is not"

    def __repr__(self) -> str:
        return f"EmailSender({self.name!r}, {self.spec.host}:{self.spec.port}, {self.spec.security})"

    def send(self, message: Message) -> None:
        to = message.to or tuple(self.spec.to)
        if not to:
            raise self._error("no recipients (set `to` on the channel or on the message)", retryable=False)
        if self._problem:
            raise self._error(self._problem, retryable=False)
        mail = build_email(message, from_addr=self.spec.from_addr, to=to)
        try:
            refused = self._deliver(mail, to)
        except (smtplib.SMTPException, OSError) as exc:
            retryable, cause = classify_smtp_error(exc)
            raise self._error(cause, retryable=retryable) from exc
        if refused:
            logger.warning(
                "%s: %d of %d recipients refused: %s",
                self.name,
                len(refused),
                len(to),
                ", ".join(f"{addr} ({code})" for addr, (code, _) in refused.items()),
                extra={"channel": self.name, "message_id": mail["Message-ID"]},
            )
        logger.info(
            "%s: sent %s to %d recipient(s)",
            self.name,
            mail["Message-ID"],
            len(to) - len(refused),
            extra={"channel": self.name, "message_id": mail["Message-ID"]},
        )

    def _deliver(self, mail: EmailMessage, to: tuple[str, ...]) -> dict[str, tuple[int, bytes]]:
        spec = self.spec
        context = self._ssl_context or ssl.create_default_context()
        smtp: smtplib.SMTP
        if spec.security == "ssl":
            smtp = smtplib.SMTP_SSL(spec.host, spec.port, timeout=spec.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(spec.host, spec.port, timeout=spec.timeout_s)
        with smtp:
            if spec.security == "starttls":
                smtp.starttls(context=context)
            if self._password is not None:
                smtp.login(spec.username or spec.from_addr, self._password)
            return smtp.send_message(mail, from_addr=spec.from_addr, to_addrs=list(to))

    def _error(self, cause: str, *, retryable: bool) -> DeliveryError:
        return DeliveryError(f"{self.name}: {cause}", retryable=retryable, channel=self.name)


def classify_smtp_error(exc: BaseException) -> tuple[bool, str]:
    """(retryable, one-line cause) for an smtplib or socket error."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{addr}: {code} {_text(reply)}" for addr, (code, reply) in exc.recipients.items())
        return all(400 <= code < 500 for code in codes), f"all recipients refused ({detail})"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return 400 <= exc.smtp_code < 500, f"login failed: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        retryable = 400 <= exc.smtp_code < 500
        verdict = "temporarily refused" if retryable else "rejected"
        return retryable, f"{verdict}: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return False, f"the server does not support what the settings ask for: {exc}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True, f"the server closed the connection: {exc or 'no reason given'}"
    if isinstance(exc, TimeoutError):
        return True, "timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return False, f"TLS certificate not trusted: {exc.verify_message or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return True, "connection refused"
    return True, f"{type(exc).__name__}: {exc}"


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())
