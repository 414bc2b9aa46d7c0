"""Body cues of automatic answers that are not absences: receipts, tickets, unmonitored inboxes.

A ticket system's "We received your request #48213", a "this mailbox is not monitored"
notice and a "do not reply to this e-mail" receipt are written by software, not by the
lead. They must never count as a human reply, yet they are not out-of-office notices
either: nobody is away and there is no return date.

Cues come in two strengths, so one polite human sentence ("Thanks for your email, I'll
get back to you") is not enough to call a message automatic:

- *strong*: one is enough ("this is an automated message", "do not reply to this e-mail",
  "this inbox is not monitored", a ticket or case number, "Eingangsbestätigung");
- *weak*: two distinct ones are needed ("we have received your request" plus "we will get
  back to you within 24 hours" or "thank you for contacting us").

Office closures ("our offices are closed between Christmas and New Year", "unser Büro ist
geschlossen") are absences, so they are listed separately as :data:`CLOSED`.
All patterns run on the original (not accent-folded) text, case-insensitively.
"""

from __future__ import annotations

import re

__all__ = ["CLOSED", "auto_cue"]

_I = re.IGNORECASE

_STRONG = re.compile(
    # "this is an automated message", "automatically generated", in seven languages
    r"\b(?:this is an? |ceci est une? |dies ist eine? |esta es una? |este es un |dit is een |"
    r"questa è una? |esta é uma? )?(?:automated|automatic|auto-generated|automatically generated)"
    r" (?:reply|response|message|e-?mail|notification|acknowledge?ment|confirmation)\b"
    r"|\b(?:generated|sent) automatically\b|\bautomatically (?:generated|sent)\b"
    r"|\b(?:please )?do not reply (?:to )?this (?:e-?mail|message|address|notification)\b"
    r"|\b(?:mailbox|inbox|e-?mail address|address|account) (?:is no longer|is not|isn't|not)"
    r" (?:monitored|checked|attended|read)\b|\bunmonitored (?:mailbox|inbox|address)\b"
    r"|\b(?:does|do|can) not (?:accept|receive) (?:replies|incoming (?:e-?mails?|messages))\b"
    r"|\bno-?reply@"
    # a ticket or case number: "request (#48213)", "Ticket ID: 99127", "case number 7781"
    r"|\b(?:ticket|case|request|incident|reference|enquiry|inquiry)(?: (?:id|number|no\.?|nr\.?|ref\.?))?"
    r"\s*(?:[:(]\s*#?|#)\s*[A-Z]{0,4}-?\d{3,}|\b(?:ticket|case) (?:id|number|no\.?|nr\.?)(?: is)?:? ?#?[A-Z]{0,4}-?\d{3,}"
    # German
    r"|\beingangsbestätigung\b|\bautomatische (?:antwort|nachricht|e-?mail|benachrichtigung)\b"
    r"|\bautomatisch (?:generiert|erstellt|versendet|verschickt)|\b(?:ticket|vorgangs?|fall)nummer\b"
    r"|\bpostfach wird nicht (?:überwacht|gelesen)|\bbitte antworten sie nicht auf diese"
    # French
    r"|\b(?:réponse|message|e-?mail|courriel) automatique\b|\bgénéré automatiquement\b"
    r"|\bmerci de ne pas répondre\b|\bne (?:pas )?répondez pas à ce"
    r"|\bnuméro de (?:ticket|dossier|demande)\b|\bboîte (?:mail )?n'est pas (?:consultée|surveillée)"
    # Spanish, Portuguese
    r"|\b(?:respuesta|mensaje|correo) (?:automático|automática|automatico|automatica)\b"
    r"|\bgenerado automáticamente\b|\bse ha generado automáticamente\b|\bno responda a este"
    r"|\bnúmero de (?:caso|ticket|solicitud|incidencia)\b"
    r"|\b(?:resposta|mensagem) (?:automática|automatica)\b|\bgerad[ao] automaticamente\b"
    r"|\bnão responda a (?:este|esta)\b|\bnúmero (?:do|de) (?:chamado|protocolo|ticket)\b"
    # Dutch, Italian
    r"|\bautomatisch (?:antwoord|bericht|gegenereerd|verzonden)\b|\bniet beantwoorden\b"
    r"|\b(?:risposta|messaggio|e-?mail) automatic[ao]\b|\bgenerat[ao] automaticamente\b"
    r"|\bnon rispondere a (?:questa|questo)\b",
    _I,
)

_WEAK = (
    # a receipt: "we have received your message", "your request has been received/logged"
    re.compile(
        r"\bwe(?:'ve| have)? (?:received|got|registered|logged) your (?:e-?mail|message|request|inquiry|enquiry"
        r"|ticket|application|submission)\b|\byour (?:e-?mail|message|request|inquiry|enquiry|ticket)"
        r" (?:has been|was|is) (?:received|logged|registered|created|opened|forwarded)\b"
        r"|\bwir haben ihre (?:nachricht|anfrage|e-?mail) erhalten\b|\bihre (?:nachricht|anfrage) (?:ist|wurde)"
        r" (?:bei uns )?eingegangen\b|\bnous avons (?:bien )?reçu votre (?:message|demande|e-?mail|courriel)\b"
        r"|\bhemos recibido su (?:mensaje|solicitud|correo|consulta)\b"
        r"|\brecebemos (?:a )?sua (?:mensagem|solicitação|solicitacao)\b"
        r"|\bwe hebben uw (?:bericht|aanvraag|e-?mail) ontvangen\b"
        r"|\babbiamo ricevuto (?:la )?(?:sua|tua) (?:richiesta|e-?mail|messaggio)\b",
        _I,
    ),
    # a promise made by a team, not a person: "an agent will get back to you within 24 hours"
    re.compile(
        r"\b(?:we|our (?:team|staff|support|agents)|one of our \w+|a member of our \w+|an? (?:agent|advisor"
        r"|representative|consultant)|someone)(?: will| shall|'ll) (?:get back to you|respond|reply|be in touch"
        r"|contact you|answer)\b[^.\n]{0,60}?(?:shortly|soon|as soon as|within|business|working|hours|days)"
        r"|\b(?:within|in) (?:\d{1,2}|one|two|three|\d-\d) (?:business |working )?(?:hours|days)\b"
        r"|\bwir melden uns (?:so schnell wie möglich|schnellstmöglich|in kürze|umgehend)"
        r"|\b(?:dans les meilleurs délais|dans les plus brefs délais)\b|\blo antes posible\b"
        r"|\bo mais breve possível\b|\bzo snel mogelijk\b|\bal più presto\b",
        _I,
    ),
    # a greeting from an organisation: "thank you for contacting Acme Support"
    re.compile(
        r"\b(?:thank you|thanks) for (?:contacting|reaching out to|writing to) (?:us\b|the\b|our\b|(?-i:[A-Z])[\w&-]+)"
        r"|\bvielen dank für ihre (?:anfrage|kontaktaufnahme)\b|\bmerci de nous avoir contactés?\b"
        r"|\bgracias por (?:contactar|ponerse en contacto)\b|\bobrigado por (?:entrar em contato|contatar)\b",
        _I,
    ),
)

CLOSED = re.compile(
    r"\b(?:office|offices|team|shop|store|company|support desk|showroom)(?: is| are| will be)?"
    r" (?:closed|shut)\b|\bclosed (?:for|over|between|from|until|during) (?:the )?[^.\n]{0,30}"
    r"(?:holiday|holidays|christmas|new year|easter|break|bank holiday)"
    r"|\b(?:büro|unternehmen|geschäft|team|firma)\b[^.\n]{0,30}\bgeschlossen\b|\bbetriebsferien\b"
    r"|\b(?:bureaux?|agence|société|entreprise)\b[^.\n]{0,30}\bfermée?s?\b|\bfermeture annuelle\b"
    r"|\b(?:oficina|oficinas|empresa|tienda)\b[^.\n]{0,30}\bcerrad[ao]s?\b"
    r"|\b(?:escritório|escritorio|empresa|loja)\b[^.\n]{0,30}\bfechad[ao]s?\b"
    r"|\b(?:kantoor|bedrijf|winkel)\b[^.\n]{0,30}\bgesloten\b"
    r"|\b(?:ufficio|uffici|azienda|negozio)\b[^.\n]{0,30}\bchius[oi]\b",
    _I,
)


def auto_cue(body: str) -> str | None:
    """The text of the cue that marks ``body`` as automatic, or ``None`` for a human's mail."""
    strong = _STRONG.search(body)
    if strong is not None:
        return strong.group(0)
    weak = [m.group(0) for pattern in _WEAK if (m := pattern.search(body)) is not None]
    return " / ".join(weak) if len(weak) >= 2 else None
