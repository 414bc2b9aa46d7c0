"""Reply wording for the simulator: short emails and texts per kind, industry and language.

Placeholders are filled by :mod:`leadflow.sim.replies`: ``{rep}`` the sender's first
name, ``{competitor}``, ``{ref_name}``, ``{ref_email}``, ``{day}``, ``{time}``, ``{alt}``
and ``{date}``. Tuples, not sets, so choices are reproducible.
"""

from __future__ import annotations

EN: dict[str, tuple[str, ...]] = {
    "interested": (
        "Yes, I'm interested. Tell me more.",
        "Sounds good. What are the next steps?",
        "Thanks for reaching out, this looks relevant for us.",
        "Yes please, send over more details.",
        "Good timing actually. I'd like to learn more.",
    ),
    "lukewarm": (
        "Could be interesting down the line. Can you send me some info?",
        "Thanks, not urgent for us, but keep me posted.",
        "Maybe. Send me something to read and I'll take a look.",
    ),
    "objection_price": (
        "Honestly this seems expensive for us.",
        "We don't have budget for this right now.",
        "Too pricey for us at the moment, unless there's a cheaper option?",
        "What's the catch? The pricing I've seen is way above what we can spend.",
    ),
    "objection_timing": (
        "Not a good time, we're swamped until next quarter.",
        "Maybe next year. Can you check back in a few months?",
        "Not ready for a call yet. Circle back in the spring?",
        "Too early for us, we're still figuring things out.",
    ),
    "objection_competitor": (
        "We already use {competitor} and we're happy with it.",
        "We just signed with {competitor}, so we're set for now.",
        "Already working with {competitor}, thanks.",
    ),
    "meeting_request": (
        "Can we set up a quick call this week?",
        "Happy to chat. Do you have time Thursday afternoon?",
        "Let's talk. When are you free?",
        "Could you give me a call tomorrow morning?",
        "Would love to see a demo. What does your calendar look like?",
    ),
    "pick": (
        "{day} works!",
        "{day} at {time} works for me.",
        "Let's do {day} {time}. Send the invite.",
        "{day} {time} is perfect, see you then.",
        "{day} please.",
    ),
    "counter": (
        "None of those work for me, sorry. Could we do {alt} instead?",
        "I'm tied up then. How about {alt}?",
        "Those times are tough. Does {alt} work?",
    ),
    "unsubscribe": (
        "Please remove me from your list.",
        "Unsubscribe.",
        "Stop emailing me.",
        "Take me off your mailing list, thanks.",
    ),
    "unsubscribe_again": (
        "I already asked you to remove me. Unsubscribe!",
        "This is the second time: please stop contacting me.",
    ),
    "referral": (
        "I'm not the right person for this. You want {ref_name} ({ref_email}), who handles it.",
        "Try {ref_name} at {ref_email}, they look after this.",
        "Not me, but {ref_name} might be interested: {ref_email}",
    ),
    "wrong_person": (
        "You have the wrong person.",
        "I think you've got the wrong person, I don't deal with this.",
        "Wrong person, sorry. I never signed up for anything.",
    ),
    "not_interested": (
        "Not interested, thanks.",
        "No thanks.",
        "We're all set, thank you.",
        "Not for us, thanks anyway.",
    ),
    "call_too": (
        "Happy to jump on a call too.",
        "Feel free to send some times for a call.",
    ),
    "ooo": (
        "Thank you for your email. I am out of the office until {date} with limited access to email. "
        "I will respond to your message when I return.",
        "I'm currently away and will be back on {date}. For anything urgent, please contact the main office.",
    ),
}

SMS: dict[str, tuple[str, ...]] = {
    "interested": ("Yes interested", "Sure, tell me more", "Yes! what's next?"),
    "unsubscribe": ("STOP", "Stop", "UNSUBSCRIBE", "stop texting me"),
    "unsubscribe_again": ("STOP", "I said STOP"),
    "not_interested": ("no thanks", "Not interested", "No"),
    "wrong_person": ("Wrong number", "wrong person sorry"),
    "meeting_request": ("Can you call me?", "call me tmrw am?", "Sure, when can we talk?"),
}

QUESTIONS: dict[str, tuple[str, ...]] = {
    "real_estate": (
        "What are the HOA fees?",
        "Is the price negotiable?",
        "Does it have a garage?",
        "How old is the roof?",
        "Are pets allowed?",
    ),
    "solar": (
        "How long does installation take?",
        "Do you offer financing?",
        "What happens on cloudy days?",
        "Is there a warranty on the panels?",
        "Does this qualify for the tax credit?",
    ),
    "b2b_saas": (
        "Does it integrate with HubSpot?",
        "How is pricing structured?",
        "Is there a free trial?",
        "Are you SOC 2 compliant?",
        "How long does onboarding take?",
    ),
}

COMPETITORS: dict[str, tuple[str, ...]] = {
    "real_estate": ("another agent", "a friend who's a realtor", "Harbor Realty"),
    "solar": ("SunPeak Solar", "another installer", "BrightRoof Energy"),
    "b2b_saas": ("Salesloop", "Pipewise", "an in-house tool"),
}

#: Non-English wording, for the kinds a prospect would write in its own language.
LOCAL: dict[str, dict[str, tuple[str, ...]]] = {
    "de": {
        "interested": (
            "Ja, das klingt interessant. Schicken Sie mir gerne mehr Infos.",
            "Danke für die Nachricht, ich bin interessiert.",
        ),
        "not_interested": ("Kein Interesse, danke.", "Danke, aber wir sind versorgt."),
        "unsubscribe": ("Bitte nehmen Sie mich aus Ihrem Verteiler.", "Abmelden bitte."),
        "objection_timing": ("Im Moment passt es leider nicht, vielleicht nächstes Jahr.",),
        "meeting_request": ("Können wir diese Woche kurz telefonieren?",),
        "question": ("Was kostet das ungefähr?", "Gibt es eine Testphase?"),
        "ooo": (
            "Vielen Dank für Ihre Nachricht. Ich bin bis einschließlich {date} nicht im Büro und habe nur eingeschränkt Zugriff auf meine E-Mails.",
        ),
    },
    "fr": {
        "interested": (
            "Oui, ça m'intéresse. Pouvez-vous m'envoyer plus d'informations ?",
            "Merci, je suis intéressé.",
        ),
        "not_interested": ("Pas intéressé, merci.", "Non merci."),
        "unsubscribe": (
            "Merci de me retirer de votre liste de diffusion.",
            "Désabonnez-moi, s'il vous plaît.",
        ),
        "objection_timing": ("Ce n'est pas le bon moment, peut-être l'année prochaine.",),
        "meeting_request": ("Pouvons-nous nous appeler cette semaine ?",),
        "question": ("Quel est le prix ?", "Y a-t-il une période d'essai ?"),
        "ooo": ("Je suis absent du bureau jusqu'au {date} inclus, avec un accès limité à mes e-mails.",),
    },
    "es": {
        "interested": ("Sí, me interesa. ¿Me puede enviar más información?", "Gracias, me interesa."),
        "not_interested": ("No me interesa, gracias.", "No, gracias."),
        "unsubscribe": ("Por favor, elimíneme de su lista.", "Darme de baja, por favor."),
        "objection_timing": ("Ahora no es buen momento, quizás el año que viene.",),
        "meeting_request": ("¿Podemos hablar por teléfono esta semana?",),
        "question": ("¿Cuánto cuesta?", "¿Hay un periodo de prueba?"),
        "ooo": ("Estoy fuera de la oficina hasta el {date}, con acceso limitado al correo.",),
    },
}

GREETINGS: dict[str, tuple[str, ...]] = {
    "en": ("Hi {rep},", "Hello,", "Hi there,", "Hey {rep},", "{rep},", ""),
    "de": ("Hallo {rep},", "Guten Tag,"),
    "fr": ("Bonjour,", "Bonjour {rep},"),
    "es": ("Hola,", "Hola {rep},"),
}

SIGN_OFFS: dict[str, tuple[str, ...]] = {
    "en": ("Thanks,", "Best,", "Cheers,", "Regards,", "Thank you,", ""),
    "de": ("Viele Grüße,", "Beste Grüße,"),
    "fr": ("Cordialement,", "Bien à vous,"),
    "es": ("Saludos,", "Un saludo,"),
}

MOBILE: dict[str, str] = {
    "en": "Sent from my iPhone",
    "de": "Von meinem iPhone gesendet",
    "fr": "Envoyé de mon iPhone",
    "es": "Enviado desde mi iPhone",
}

#: Times a prospect suggests when none of ours suit.
ALTERNATIVES: tuple[tuple[str, str], ...] = (
    ("Friday", "Friday morning"),
    ("Monday", "next Monday at 2pm"),
    ("Wednesday", "Wednesday after 4pm"),
    ("Thursday", "Thursday around 11am"),
    ("Tuesday", "Tuesday at 9:30am"),
)
