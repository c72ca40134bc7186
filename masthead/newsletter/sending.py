"""The round-up email: rendered once per issue, personalised per recipient by splicing.

Rendering the Django templates and inlining the CSS costs milliseconds; doing it for each of a
million readers would cost hours. So an issue is rendered once with markers where per-recipient
values go (greeting, address, unsubscribe link). Each message splices the values in (HTML-escaped
in the HTML part), encodes both parts quoted-printable and puts four personal headers in front of
a header block built once. See docs/newsletter.md for the measured cost.

Messages leave through Django's email backends (EMAIL_URL / EMAIL_BACKEND). Over SMTP the
prebuilt bytes go straight to the backend's open smtplib connection (optionally DKIM-signed);
any other backend (the file outbox, django-anymail providers) gets an ordinary
EmailMultiAlternatives built from the same parts.
"""

from __future__ import annotations

import binascii
import email.policy
import hashlib
import hmac
import html
import re
import secrets
import smtplib
from dataclasses import dataclass, field
from email.utils import formataddr, formatdate, parseaddr
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.template import engines

from masthead.core import versioning
from masthead.core.selectors import magazine
from masthead.newsletter import selectors_issues as selectors
from masthead.newsletter import tokens
from masthead.newsletter.addresses import NAME_MAX_LENGTH, clean_name, display_address
from masthead.newsletter.models import Issue

MARK = "@@MH:{}@@"
_MARKS = re.compile(r"@@MH:(\w+)@@")
ONE_CLICK = "List-Unsubscribe=One-Click"
DKIM_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id", b"list-unsubscribe",
                b"list-unsubscribe-post", b"list-id", b"mime-version", b"content-type"]
SOFT = b"=\r\n"
_LINE_DOT = re.compile(rb"(?m)^\.")
_PLAIN_ADDRESS = re.compile(r"[^\s<>\"(),;:\\\[\]@]+@[A-Za-z0-9.-]+")
QP_LINE = 76
_QP_PART = 'Content-Type: text/{}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable'


@dataclass(frozen=True)
class Recipient:
    """Who one message goes to. `subscriber_id` keys the unsubscribe link and Message-ID."""

    subscriber_id: int
    email: str
    name: str = ""
    delivery_id: int | None = None
    attempts: int = 0


class Spliced:
    """A rendered part cut at its markers: static text and the names of the values between."""

    def __init__(self, rendered: str):
        self.rendered = rendered
        parts = _MARKS.split(rendered)
        self.static, self.keys = parts[0::2], parts[1::2]

    def fill(self, values: dict[str, str]) -> str:
        out = [self.static[0]]
        for key, static in zip(self.keys, self.static[1:], strict=True):
            out.append(values[key])
            out.append(static)
        return "".join(out)


def _escaped(values: dict[str, str]) -> dict[str, str]:
    return {k: html.escape(v, quote=True) for k, v in values.items()}


def greeting(name: str) -> str:
    name = clean_name(name)
    return f"Hello {name}," if name else "Hello,"


def message_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


class MessageIds:
    """Message-IDs stable per (issue, subscriber): a resent copy is recognisably the same.

    The HMAC (Django's salted_hmac, with its key derived once) keeps the IDs unguessable.
    """

    SALT = "masthead.newsletter.message-id"

    def __init__(self):
        self.key = hashlib.sha1((self.SALT + settings.SECRET_KEY).encode()).digest()
        self.domain = message_domain()

    def __call__(self, issue_id: int, subscriber_id: int) -> str:
        value = f"{issue_id}.{subscriber_id}".encode()
        digest = hmac.new(self.key, value, hashlib.sha1).hexdigest()[:8]
        return f"<issue-{issue_id}.sub-{subscriber_id}.{digest}@{self.domain}>"


def message_id(issue_id: int, subscriber_id: int) -> str:
    return MessageIds()(issue_id, subscriber_id)


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def dot_stuff(data: bytes) -> bytes:
    """SMTP transparency (RFC 5321 4.5.2): a line starting with "." gets another "."."""
    return _LINE_DOT.sub(b"..", data)


def _qp(text: str) -> bytes:
    """Quoted-printable with CRLF line ends, its last line short enough to take a soft break."""
    data = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True, header=False)
    data = data.replace(b"=\n", SOFT)  # soft breaks in a chunk without line ends use "\n"
    start = data.rfind(b"\n") + 1
    if len(data) - start > QP_LINE - 1:  # no room for the "=" of a soft break: split it
        cut = start + QP_LINE - 4
        while b"=" in data[cut - 2:cut]:  # never inside an =XX escape
            cut -= 1
        data = data[:cut] + SOFT + data[cut:]
    return data


class QPSpliced:
    """A Spliced part pre-encoded as quoted-printable: the static text is encoded once.

    Per message only the values are encoded, each between soft line breaks ("=" CRLF, which
    decoders remove), so the encoded lines stay within 76 characters.
    """

    def __init__(self, spliced: Spliced):
        self.static = [_qp(chunk) for chunk in spliced.static]
        self.stuffed = [dot_stuff(chunk) for chunk in self.static]
        self.keys = spliced.keys

    def fill(self, values: dict[str, str], *, stuffed: bool = False) -> bytes:
        """The encoded part; `stuffed`: dot-stuffed for SMTP DATA (every piece starts a line)."""
        static = self.stuffed if stuffed else self.static
        out = [static[0]]
        for key, chunk in zip(self.keys, static[1:], strict=True):
            value = _qp(values[key])
            out += (SOFT, dot_stuff(value) if stuffed else value, SOFT, chunk)
        return b"".join(out)


def _fold(name: str, value: str) -> str:
    """One header, RFC 2047-encoded where needed and folded, ending in CRLF."""
    policy = email.policy.SMTP
    return policy.header_factory(name, value).fold(policy=policy)


def _dkim_signer():
    """A function signing message bytes, or None when NEWSLETTER_DKIM_KEY_FILE is not set."""
    key_file = settings.NEWSLETTER_DKIM_KEY_FILE
    if not key_file:
        return None
    try:
        import dkim
    except ImportError as exc:  # a dependency in pyproject.toml; only a broken install lacks it
        raise ImproperlyConfigured("NEWSLETTER_DKIM_KEY_FILE needs the dkimpy package") from exc
    domain = settings.NEWSLETTER_DKIM_DOMAIN or message_domain()
    return partial(dkim.sign, selector=settings.NEWSLETTER_DKIM_SELECTOR.encode(),
                   domain=domain.encode(), privkey=Path(key_file).read_bytes(),
                   include_headers=DKIM_HEADERS)


@dataclass
class RoundUpEmail:
    """One issue, rendered once, ready to personalise for any number of recipients."""

    issue_id: int
    subject: str
    from_email: str
    html: Spliced
    text: Spliced
    test: bool = False
    boundary: str = field(default_factory=lambda: f"=_masthead_{secrets.token_hex(12)}")
    dkim: object = None

    def __post_init__(self):
        self.envelope_from = parseaddr(self.from_email)[1]
        self.list_id = f"<{settings.NEWSLETTER_LIST_ID}>"
        self.mailto = settings.NEWSLETTER_UNSUBSCRIBE_MAILTO
        self.fixed_headers = "".join([
            _fold("From", self.from_email),
            _fold("Subject", self.subject),
            f"List-Id: {self.list_id}\r\n",
            f"List-Unsubscribe-Post: {ONE_CLICK}\r\n",
            "Precedence: bulk\r\n",
            "MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/alternative;\r\n boundary="{self.boundary}"\r\n\r\n',
        ]).encode("ascii")
        # SMTP DATA wants CRLF line ends; Django's messages want "\n" (they convert).
        self.text_qp = QPSpliced(Spliced(_crlf(self.text.rendered)))
        self.html_qp = QPSpliced(Spliced(_crlf(self.html.rendered)))
        self.message_ids = MessageIds()
        b = self.boundary
        self.text_head = f"--{b}\r\n{_QP_PART.format('plain')}\r\n\r\n".encode("ascii")
        self.html_head = f"\r\n--{b}\r\n{_QP_PART.format('html')}\r\n\r\n".encode("ascii")
        self.tail = f"\r\n--{b}--\r\n".encode("ascii")

    # --- per recipient

    def values(self, r: Recipient) -> dict[str, str]:
        return {"greeting": greeting(r.name), "email": r.email,
                "unsubscribe_url": tokens.unsubscribe_url(r.subscriber_id)}

    def message_id(self, r: Recipient) -> str:
        if self.test:
            return f"<issue-{self.issue_id}.test-{secrets.token_hex(6)}@{message_domain()}>"
        return self.message_ids(self.issue_id, r.subscriber_id)

    def list_unsubscribe(self, r: Recipient, url: str) -> str:
        value = f"<{url}>"
        if self.mailto:
            token = tokens.unsubscribe_token(r.subscriber_id)
            value += f",\r\n <mailto:{self.mailto}?subject=unsubscribe-{token}>"
        return value

    def bodies(self, r: Recipient, values: dict[str, str] | None = None) -> tuple[str, str]:
        """(plain text, HTML) for one recipient."""
        values = values or self.values(r)
        return self.text.fill(values), self.html.fill(_escaped(values))

    def to_header(self, r: Recipient) -> str:
        """`"Name" <address>`: the name on one line (no CR/LF), quoted or encoded as needed."""
        if not r.email.isascii():
            return sanitize_address((clean_name(r.name), r.email), "utf-8")
        if not r.name:
            return r.email
        if r.name.isprintable():  # no control characters: no need for the slower clean-up
            return formataddr((r.name.strip()[:NAME_MAX_LENGTH], r.email))
        return display_address(r.email, r.name)

    def _build(self, r: Recipient, *, stuffed: bool) -> bytes:
        values = self.values(r)
        personal = (f"To: {self.to_header(r)}\r\nDate: {formatdate(usegmt=True)}\r\n"
                    f"Message-ID: {self.message_id(r)}\r\n"
                    f"List-Unsubscribe: {self.list_unsubscribe(r, values['unsubscribe_url'])}\r\n")
        return b"".join([personal.encode("utf-8"), self.fixed_headers,
                         self.text_head, self.text_qp.fill(values, stuffed=stuffed),
                         self.html_head, self.html_qp.fill(_escaped(values), stuffed=stuffed),
                         self.tail])

    def as_bytes(self, r: Recipient) -> bytes:
        """The whole message (CRLF line ends, 7-bit), DKIM-signed when configured."""
        data = self._build(r, stuffed=False)
        return self.dkim(data) + data if self.dkim else data

    def as_smtp_data(self, r: Recipient) -> bytes:
        """as_bytes(), dot-stuffed for the DATA command (without the final ".")."""
        if self.dkim:  # the signature covers the message itself, not its transport form
            return dot_stuff(self.as_bytes(r))
        return self._build(r, stuffed=True)

    def as_message(self, r: Recipient, connection=None) -> EmailMultiAlternatives:
        """The same message for backends that take Django messages (file outbox, anymail)."""
        values = self.values(r)
        text, body = self.bodies(r, values)
        message = EmailMultiAlternatives(
            subject=self.subject, body=text, from_email=self.from_email,
            to=[display_address(r.email, r.name)], connection=connection,
            headers={"Message-ID": self.message_id(r), "List-Id": self.list_id,
                     "List-Unsubscribe": self.list_unsubscribe(r, values["unsubscribe_url"])
                     .replace("\r\n", ""),
                     "List-Unsubscribe-Post": ONE_CLICK, "Precedence": "bulk"},
        )
        message.attach_alternative(body, "text/html")
        return message


def render_context(issue: Issue) -> dict:
    name = magazine(versioning.current())["name"] or settings.WAGTAIL_SITE_NAME
    return {
        "magazine_name": name,
        "subject": issue.subject,
        "preheader": issue.preheader,
        "introduction": issue.introduction,
        "groups": selectors.grouped(selectors.issue_stories(issue.pk)),
        "site_url": settings.SITE_URL,
        "site_host": urlsplit(settings.SITE_URL).netloc,
        **{key: MARK.format(key) for key in ("greeting", "email", "unsubscribe_url")},
    }


def render_issue(issue: Issue, *, test: bool = False) -> RoundUpEmail:
    """Render the issue's templates once (CSS inlined) into a personalisable email."""
    context = render_context(issue)
    engine = engines["django"]
    rendered_html = engine.get_template("newsletter/email/roundup.html").render(context)
    rendered_html = css_inline.inline(rendered_html, keep_at_rules=True,
                                      load_remote_stylesheets=False)
    rendered_text = engine.get_template("newsletter/email/roundup.txt").render(context)
    subject = f"[Test] {issue.subject}" if test else issue.subject
    return RoundUpEmail(
        issue_id=issue.pk, subject=clean_name(subject) or "Round-up",
        from_email=settings.DEFAULT_FROM_EMAIL,
        html=Spliced(rendered_html), text=Spliced(rendered_text.strip() + "\n"),
        test=test, dkim=_dkim_signer(),
    )


# --- transport ------------------------------------------------------------------------------


class SendFailed(Exception):
    """The server (or provider) did not accept one message.

    `permanent`: retrying cannot help (the recipient was refused with a 5xx).
    `reconnect`: the connection is unusable; the next message opens a new one.
    """

    def __init__(self, reason: str, *, permanent: bool = False, reconnect: bool = False):
        super().__init__(reason)
        self.reason = reason[:500]
        self.permanent = permanent
        self.reconnect = reconnect


def _smtp_error(exc: Exception) -> SendFailed:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (0, b""))
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        return SendFailed(f"{code} {text}", permanent=500 <= code < 600)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        return SendFailed(f"{exc.smtp_code} {text}", reconnect=exc.smtp_code == 421)
    return SendFailed(f"{type(exc).__name__}: {exc}", reconnect=True)


def _command(smtp: smtplib.SMTP, verb: str, args: str, ok: tuple[int, ...], error) -> None:
    smtp.putcmd(verb, args)
    code, text = smtp.getreply()
    if code not in ok:
        if code != 421:
            try:
                smtp.rset()  # end the failed transaction; the connection stays usable
            except smtplib.SMTPServerDisconnected:
                pass
        raise error(code, text)


class Outbox:
    """One Django email connection, opened on first use and reused for every message sent.

    Use as a context manager; `send()` raises SendFailed when a message was not accepted.
    """

    def __init__(self, roundup: RoundUpEmail, connection=None):
        self.roundup = roundup
        self.connection = connection or get_connection(fail_silently=False)
        self.smtp = isinstance(self.connection, SMTPBackend)
        self.opened = False

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self.opened:
            self.opened = False
            try:
                self.connection.close()
            except (smtplib.SMTPException, OSError):
                pass  # closing a broken connection: nothing left to save

    def _open(self) -> None:
        if not self.opened:
            try:
                self.connection.open()
            except (smtplib.SMTPException, OSError) as exc:
                raise SendFailed(f"cannot connect: {type(exc).__name__}: {exc}",
                                 reconnect=True) from exc
            self.opened = True

    def send(self, r: Recipient) -> None:
        self._open()
        try:
            if self.smtp:
                self._send_smtp(r)
            else:
                self._send_generic(r)
        except SendFailed as failure:
            if failure.reconnect:
                self.close()
            raise

    def _send_smtp(self, r: Recipient) -> None:
        """MAIL, RCPT, DATA on the open connection, as smtplib's sendmail() does, minus its
        per-message address parsing and dot-stuffing regex over the whole message (measured:
        a third of the sender's CPU); the message is dot-stuffed as it is built."""
        smtp = self.connection.connection
        try:
            if not _PLAIN_ADDRESS.fullmatch(r.email):  # unusual address: let smtplib quote it
                smtp.sendmail(self.roundup.envelope_from, [r.email], self.roundup.as_bytes(r))
                return
            data = self.roundup.as_smtp_data(r)
            smtp.ehlo_or_helo_if_needed()  # once per connection
            _command(smtp, "mail", f"FROM:<{self.roundup.envelope_from}>", (250,),
                     lambda code, text: smtplib.SMTPSenderRefused(
                         code, text, self.roundup.envelope_from))
            _command(smtp, "rcpt", f"TO:<{r.email}>", (250, 251),
                     lambda code, text: smtplib.SMTPRecipientsRefused({r.email: (code, text)}))
            _command(smtp, "data", "", (354,), smtplib.SMTPDataError)
            smtp.send(data + b".\r\n")
            code, text = smtp.getreply()
            if code != 250:
                raise smtplib.SMTPDataError(code, text)
        except (smtplib.SMTPException, OSError) as exc:
            raise _smtp_error(exc) from exc

    def _send_generic(self, r: Recipient) -> None:
        from anymail.exceptions import AnymailRecipientsRefused

        message = self.roundup.as_message(r, connection=self.connection)
        try:
            sent = self.connection.send_messages([message])
        except AnymailRecipientsRefused as exc:
            raise SendFailed(str(exc), permanent=True) from exc
        except Exception as exc:  # providers raise many kinds; each is one failed attempt
            raise SendFailed(f"{type(exc).__name__}: {exc}", reconnect=True) from exc
        if not sent:
            raise SendFailed("the email backend accepted nothing")
