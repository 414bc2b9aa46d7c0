"""Text clean-up and sparse features for the offline intent classifier.

Replies reach the classifier after trimming, but real mail still carries a greeting
("Hi Alex,"), a sign-off with a name and title, "Sent from my iPhone" and HTML remnants
(``&nbsp;``, ``<br>``). None of that says anything about intent and all of it is noise
for a small model, so :func:`core_text` removes it first.

Features are built to carry over to language the training examples never used:

- accent-folded words, word pairs and in-word character n-grams (typos, inflections);
- cross-lingual concept cues (``data/intent_concepts.json``): "zu teuer", "troppo caro"
  and "too expensive" all light ``k:price``;
- negation scope: after "not", "no", "nicht", "kein", "pas", "nao", "niet", "geen", ...
  the next few words become ``n:word``, so "not interested" stops counting as evidence
  for ``interested`` and "no budget" differs from "budget approved";
- contrast: words after "but", "aber", "mais", "pero", "mas", "ma", "maar" count twice,
  because in "interesting, but too expensive" the second clause is the answer.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import unicodedata
from collections import Counter
from importlib import resources

__all__ = ["core_text", "features", "features_of_core", "fold"]


def fold(text: str) -> str:
    """Lower-case, strip accents and normalise apostrophes so variants share features."""
    text = unicodedata.normalize("NFKD", text.casefold())
    if not text.isascii():  # combining marks are never ASCII: plain text has none to strip
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("\u2019", "'").replace("ß", "ss")


_TAG = re.compile(r"<\s*(?:br|/?p|/?div|li)\b[^>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^<>\n]{1,200}>")
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings|hallo|guten (?:tag|morgen)"
    r"|liebe[rs]?|sehr geehrte[rs]?|moin|servus|bonjour|bonsoir|salut|cher|chere|hola|buenos dias|buenas"
    r"|estimad[oa]s?|ola|oi|bom dia|boa tarde|prezad[oa]s?|buongiorno|buonasera|ciao|salve|gentile|egregio"
    r"|hoi|beste|goedemorgen|goedemiddag|dag)(?:[ \t]+[\w.'-]+){0,3}[ \t]*[,!.:]?[ \t]*$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^\s*(?:--+|__+|best|best regards|kind regards|warm regards|regards|rgds|cheers|thanks|thank you|thx"
    r"|many thanks|sincerely|yours|all the best|talk soon|br|mfg|viele grusse|beste grusse|freundliche grusse"
    r"|mit freundlichen grussen|lg|gruss|cordialement|bien a vous|bonne journee|a bientot|merci|saludos"
    r"|un saludo|atentamente|gracias|abraco|abracos|atenciosamente|att|obrigad[oa]|cordiali saluti|saluti"
    r"|distinti saluti|grazie|groet|groeten|met vriendelijke groet|mvg|bedankt"
    r"|sent from my \w+|envoye de mon \w+|enviado desde mi \w+|von meinem \w+ gesendet|inviato da \w+"
    r"|verzonden vanaf mijn \w+|enviado do meu \w+|get outlook for \w+|sent from outlook[\w ]*)[\s,.!]*$",
    re.IGNORECASE,
)


def core_text(text: str) -> str:
    """The part of a reply that carries its intent: no HTML, greeting line or sign-off block.

    The sign-off block is cut at the first line (after some content) that is only a
    closing formula ("Best,", "Viele Grüße", "Sent from my iPhone", "--"): the name,
    title and phone number below it are signature.
    """
    text = _ANY_TAG.sub(" ", _TAG.sub("\n", text))
    text = html.unescape(text).replace("\xa0", " ")
    lines = [line.strip() for line in text.splitlines()]
    kept: list[str] = []
    for line in lines:
        if not kept and not line:
            continue
        if not kept and _GREETING.match(fold(line)):
            continue
        if kept and _SIGN_OFF.match(fold(line)):
            break
        kept.append(line)
    core = "\n".join(kept).strip()
    return core or text.strip()


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.!?;:,\n]")
_NEGATORS = frozenset(
    "not no never don't dont doesn't doesnt isn't isnt aren't arent won't wont can't cant cannot couldn't"
    " wouldn't shouldn't didn't haven't hasn't nothing nobody none neither nor without"
    " nicht kein keine keinen keiner keinem nie niemals ohne"
    " pas ne n'est jamais rien aucun aucune sans"
    " nunca nada ningun ninguna sin nao nem nenhum nenhuma sem"
    " non mai nessun nessuna niente senza niet geen nooit niets zonder".split()
)
_CONTRAST = frozenset(
    "but however though although aber jedoch allerdings mais pourtant pero sino mas porem ma pero maar".split()
)
_NEG_SCOPE = 3
_QUESTIONS = re.compile(r"(?:^|[.!?\n])\s*([^.!?\n]{3,200}\?)")
_ASKS = re.compile(
    r"(?:how|what|where|when|which|who|why|can|could|is|are|do|does|will|would|should"
    r"|wie|was|wo|wann|welche[rsmn]?|warum|kann|konnen|gibt|ist|sind"
    r"|comment|ou|quand|quel(?:le)?s?|pourquoi|est-ce|peut-on|puis-je|pouvez"
    r"|como|donde|cuando|cual|cuanto|por que|puedo|pueden|hay|onde|quando|qual|quanto|posso|podem|tem"
    r"|hoe|waar|wanneer|welke|waarom|kan|kunnen|is er|come|dove|quale|perche|si puo|c'e)\b"
)


_Tree = dict[str, "_Tree"]


def _prefix_tree(words: list[str]) -> str:
    """A regex matching exactly ``words``, factored by common prefix ("pr(?:eis|ix)").

    It matches what ``"|".join(words)`` matches, but the regex engine reads each letter
    once at a position instead of once per word, which halves the time of a search.
    """
    tree: _Tree = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def emit(node: _Tree) -> str:
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(tree)


def _load_concepts() -> dict[str, re.Pattern[str]]:
    raw = resources.files("leadflow.reply").joinpath("data/intent_concepts.json").read_text("utf-8")
    cues: dict[str, list[str]] = json.loads(raw)
    return {name: re.compile(r"\b" + _prefix_tree(words)) for name, words in cues.items()}


# Cross-lingual concept cues (accent-folded word starts). They let a German "zu teuer" and
# an Italian "troppo costoso" share evidence with "too expensive" even when the training
# text for that language never used those exact words.
_CONCEPTS = _load_concepts()
_CONCEPT_WEIGHT = 20


def _char_grams(word: str) -> list[str]:
    padded = f"<{word}>"
    return ["c:" + padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1)]


def features(text: str) -> Counter[str]:
    """Sparse features of the core of ``text`` (see the module docstring)."""
    core = core_text(text)
    return features_of_core(core, fold(core))


_PUNCT = frozenset(".!?;:,\n")  # the tokens of ``_TOKEN`` that are not words


def features_of_core(core: str, folded: str) -> Counter[str]:
    """:func:`features` for a caller that already has ``core = core_text(text)`` and
    ``folded = fold(core)``."""
    tokens = _TOKEN.findall(folded)
    words = [t for t in tokens if t not in _PUNCT]
    feats: Counter[str] = Counter()
    spaced = " " + " ".join(words) + " "
    for name, pattern in _CONCEPTS.items():
        if pattern.search(folded) or pattern.search(spaced):
            feats["k:" + name] += _CONCEPT_WEIGHT
    negated = 0
    weight = 1
    marked: list[str] = []
    counted: list[str] = []  # every feature once per unit of weight, in the order first seen
    for tok in tokens:
        if tok in _PUNCT:
            negated = 0  # punctuation ends a negation's scope
            continue
        if tok in _CONTRAST:
            weight = 2
        # A negated word keeps its own evidence and adds ``n:word``: "not interested"
        # then differs from "interested" while "no budget" still shares the budget cue.
        own = ["w:" + tok, *_char_grams(tok)]
        if negated:
            own.append("n:" + tok)
            negated -= 1
            marked.append("n:" + tok)
        else:
            marked.append(tok)
        counted += own * weight
        if tok in _NEGATORS:
            negated = _NEG_SCOPE
            counted.append("neg")
    feats.update(counted)
    feats.update(f"b:{a}_{b}" for a, b in itertools.pairwise(marked))
    if "?" in core:
        feats["p:?"] += 1
        # A sentence that opens with a question word and ends in "?" asks something, in any
        # of the seven languages, whatever the words between ("Wie füge ich ... hinzu?").
        if any(_ASKS.match(q.strip()) for q in _QUESTIONS.findall(folded)):
            feats["q:asks"] += _CONCEPT_WEIGHT
    if "k:content" in feats and "k:competitor" not in feats:
        # Satisfaction with no other provider named is a happy customer, not "we're happy
        # with our current vendor".
        feats["k:content_alone"] += _CONCEPT_WEIGHT
    if len(words) <= 3:
        feats["len:short"] += 1
    elif len(words) > 25:
        feats["len:long"] += 1
    return feats
