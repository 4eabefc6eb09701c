"""Email over SMTP (smtplib): optional STARTTLS and login; SMTP 5xx answers are permanent failures."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from console.alerts.notify.pipeline import Message
from console.errors import NotifyError

__all__ = ["EmailChannel"]

NAME = "email"


@dataclass(frozen=True)
class EmailChannel:
    """Mail to ``recipients`` through the SMTP server at ``host:port``."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 10.0
    name: str = NAME

    @property
    def target(self) -> str:
        """Who receives it, for the timeline."""
        return ", ".join(self.recipients)

    def send(self, message: Message) -> None:
        """Hand the message to the SMTP server; ``NotifyError`` when it does not take it."""
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail.set_content(message.text)
        for attachment in message.attachments:
            maintype, subtype = attachment.content_type.split("/", 1)
            mail.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as e:
            raise NotifyError(NAME, f"every recipient refused: {', '.join(e.recipients)}", permanent=True) from e
        except smtplib.SMTPResponseException as e:
            # 4xx is "try later" in SMTP; 5xx will not change by retrying
            text = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
            raise NotifyError(NAME, f"{self.host}:{self.port} answered {e.smtp_code} {text}",
                              permanent=e.smtp_code >= 500) from e
        except (smtplib.SMTPException, OSError) as e:
            raise NotifyError(NAME, f"{self.host}:{self.port}: {e or type(e).__name__}") from e
