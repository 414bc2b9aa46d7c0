"""High-precision rules for intent: cues that must never be missed or guessed by a model.

Each rule looks at accent-folded text (see :func:`~leadflow.reply._intent_features.fold`)
and fires only on phrases that mean one thing in a sales reply:

- an opt-out ("unsubscribe", "remove me", "stop texting me", SMS "STOP");
- text that tries to instruct the system (prompt injection): data, never instructions;
- a bare acknowledgement ("Thanks!", "Noted", "Recibido");
- "I'm not the right person" / "I left the company", and a hand-over to someone else
  ("my successor is ...", "direct this to ...", an address given beside it);
- an out-of-office notice, which only stops the hand-over rules: "for urgent matters
  contact James" in an absence notice is not a referral.
"""

from __future__ import annotations

import re

__all__ = [
    "is_acknowledgement",
    "is_handover",
    "is_out_of_office",
    "is_unsubscribe",
    "is_wrong_person",
    "looks_like_injection_folded",
]

_SMS_STOP = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "opt out", "arret", "stopp"}

_UNSUBSCRIBE = re.compile(
    r"\b(unsubscri\w*|unsub\b|opt(?:ing)?[- ]?(?:me )?out|remove (?:me|my (?:e-?mail|address|details|name|number))"
    r"|take (?:me|my (?:e-?mail|address|name|number)) off"
    r"|(?:stop|quit) (?:e-?mailing|emailing|contacting|sending|messaging|writing|texting|spamming|calling)"
    r"|(?:do not|don'?t|never) (?:e-?mail|contact|message|text|write to|call) me"
    r"|(?:delete|erase) my (?:data|details|contact|information|email|number)"
    r"|off (?:your|ur|this|the) (?:list|mailing list)|cease all communication"
    # German, French, Spanish, Portuguese, Dutch, Italian
    r"|abmelden|austragen|aus (?:ihrem|deinem|dem) verteiler|keine (?:weiteren )?(?:e-?mails|nachrichten) mehr"
    r"|nicht mehr kontaktier|loschen sie meine (?:daten|adresse|e-?mail)"
    r"|desinscri|desabonn|retirer de (?:votre|ta|vos) liste|retirez-moi|ne me contactez plus|ne plus m'ecrire"
    r"|ne m'ecrivez plus|ne m'envoyez plus|supprimer mes (?:coordonnees|donnees)|supprimez mes (?:coordonnees|donnees)"
    r"|dar(?:me|se)? de baja|dame de baja|no me (?:envies|envie|mandes|escribas|escriban|contactes|contacten) mas"
    r"|borr(?:en|a)me|eliminen?me de"
    r"|descadastr|cancelar (?:a )?inscricao|remova da (?:sua )?lista|me remova|nao me (?:envie|mande) mais"
    r"|parem? de me (?:enviar|mandar)|nao quero mais receber"
    r"|afmelden|uitschrijven|van (?:je|jullie|uw|de) (?:mailing)?lijst|geen (?:e-?mails|mails|berichten) meer"
    r"|stop met (?:mailen|e-?mailen|sturen)"
    r"|disiscriv|cancellatemi|cancellami|toglietemi|rimuovetemi|non (?:scrivetemi|scrivermi|contattatemi) piu"
    r"|non voglio piu ricevere)",
)
_NOT_OPT_OUT = re.compile(r"\b(?:don'?t|do not|not) (?:unsubscribe|remove) me\b")

_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(instructions?|prompts?|rules|above)\b"
    r"|\bsystem prompt\b|^\s*system\s*:|\byou are now\b|\bnew instructions\b|\bact as\b[^.\n]{0,30}\b(admin|assistant|ai)\b"
    r"|\bignorier\w*\b[^.\n]{0,40}\banweisung|\bignore[sz]?\b[^.\n]{0,40}\binstructions\b|\bignora\w*\b[^.\n]{0,40}\binstruc",
    re.MULTILINE,
)

_WRONG_PERSON = re.compile(
    r"\b(not the (?:right|correct|best|appropriate) (?:person|contact)|wrong (?:person|contact)"
    r"|no longer (?:with|at|work|employed|part of)|(?:left|retired from) the company"
    r"|(?:don'?t|do not) work (?:there|here) any ?more|not my (?:area|department|role|responsibility)"
    r"|not (?:the )?(?:decision[- ]maker|responsible for)|no longer (?:responsible|in charge) for"
    r"|(?:don'?t|do not|no longer) (?:handle|deal with|look after|cover|manage) (?:anything|sales|marketing|purchasing|buying|vendors?)"
    r"|nicht (?:mehr )?zustandig|falsche[rn]? ansprechpartner"
    r"|nicht mehr (?:bei|fur)|arbeite (?:dort|hier) nicht mehr|pas la bonne personne|ne travaille plus"
    r"|ne fais plus partie|ne suis plus (?:dans|chez)|trompe de personne|no soy la persona|ya no trabajo"
    r"|ya no estoy en|equivocado de persona|nao sou a pessoa|nao trabalho mais|nao estou mais na"
    r"|pessoa errada|niet de juiste persoon|werk (?:hier )?niet meer|verkeerde persoon|non sono la persona giusta"
    r"|non lavoro piu|non sono piu (?:in|presso)|sbagliato persona)",
)

_HANDOVER = re.compile(
    r"\b(?:successor|took over|has taken over|taken over (?:from me|my)|replaced me|direct (?:this|it|your \w+) to"
    r"|voyez (?:plutot )?avec|adressez-vous|a pris (?:ma place|le relais)|nachfolger(?:in)?|ubernommen"
    r"|sucesor(?:a)?|sucessor(?:a)?|mi sostituisce|ha preso il mio posto|opvolger|heeft (?:het|mijn \w+) overgenomen)",
)
_EMAIL = re.compile(r"[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}")

_OUT_OF_OFFICE = re.compile(
    r"\b(?:out of (?:the )?office|on (?:annual |maternity |paternity |parental |sick |medical )?leave"
    r"|(?:away|on (?:vacation|holiday))\b[^.\n]{0,30}\b(?:until|till|returning|back on)"
    r"|automatic reply|auto-?reply|not (?:monitoring|checking) (?:my )?(?:e-?mails?|messages)"
    r"|nicht im buro|abwesend|im urlaub|elternzeit|keinen zugriff auf (?:meine )?e-?mails|abwesenheitsnotiz"
    r"|absente? (?:du bureau|jusqu)|en conge|reponse automatique|fuera de la oficina|de vacaciones hasta"
    r"|respuesta automatica|sin acceso al correo|fora do escritorio|de ferias|resposta automatica"
    r"|fuori ufficio|in ferie|risposta automatica|afwezig|met vakantie|niet op kantoor|automatisch antwoord)",
)

_ACK_ONLY = re.compile(
    r"^(?:(?:many |thanks?|thank you|thx|ty|danke(?: schon)?|merci(?: beaucoup)?|gracias|obrigad[oa]|bedankt|dank je"
    r"|grazie(?: mille)?|cheers|ok(?:ay)?|got it|noted|received|recu|bien recu|recibido|recebido|ontvangen|ricevuto"
    r"|alles klar|perfect|great)[\s!.,]*)+$"
)


def is_unsubscribe(folded: str, channel: str) -> bool:
    """An opt-out; on SMS a bare "STOP", "END" or "CANCEL" counts too."""
    bare = re.sub(r"[^a-z ]", "", folded).strip()
    if bare in _SMS_STOP and (
        channel == "sms" or bare in {"stop", "unsubscribe", "stopall", "opt out", "optout"}
    ):
        return True
    if _UNSUBSCRIBE.search(folded) is None:
        return False
    # "Don't unsubscribe me" / "no need to remove me" are rare; the phrase alone is strong evidence.
    return _NOT_OPT_OUT.search(folded) is None


def looks_like_injection_folded(folded: str) -> bool:
    """Whether folded text tries to give instructions to the system reading it."""
    return _INJECTION.search(folded) is not None


def is_acknowledgement(folded: str) -> bool:
    """Nothing but thanks / ok / received."""
    return _ACK_ONLY.match(folded) is not None


def is_wrong_person(folded: str) -> bool:
    """ "Not the right person", "I left the company", in seven languages."""
    return _WRONG_PERSON.search(folded) is not None


def is_handover(folded: str) -> bool:
    """A wrong-person reply that also points somewhere: a successor, "direct this to", an address."""
    return _HANDOVER.search(folded) is not None or _EMAIL.search(folded) is not None


def is_out_of_office(folded: str) -> bool:
    """An absence notice ("out of the office", "on leave", "im Urlaub", "en congé", ...)."""
    return _OUT_OF_OFFICE.search(folded) is not None
