"""Carry inflection (tense, number) from a spun word to its replacement, and fix a/an after a rewrite.

Lexicon and model suggestions are often written in the base form ("scratch" -> "scrape",
"organization" -> "agency") while the text has an inflected form ("scratched", "organizations").
``inflect_like`` reads the spun word's suffix (-s/-es/-ies, -ed/-ied, -ing) and gives the replacement
the same one, with English spelling rules and a short table of irregular verbs. A replacement that
already carries the inflection (an aligned source's own words always do) is left alone.
"""

from __future__ import annotations

import re

from .case import capitalise_like

# base -> (past, past participle); only verbs a news spinner commonly touches.
_IRREGULAR = {
    "be": ("was", "been"), "begin": ("began", "begun"), "break": ("broke", "broken"),
    "bring": ("brought", "brought"), "build": ("built", "built"), "buy": ("bought", "bought"),
    "catch": ("caught", "caught"), "choose": ("chose", "chosen"), "come": ("came", "come"),
    "cut": ("cut", "cut"), "deal": ("dealt", "dealt"), "do": ("did", "done"), "draw": ("drew", "drawn"),
    "drive": ("drove", "driven"), "eat": ("ate", "eaten"), "fall": ("fell", "fallen"),
    "feel": ("felt", "felt"), "fight": ("fought", "fought"), "find": ("found", "found"),
    "fly": ("flew", "flown"), "forbid": ("forbade", "forbidden"), "forecast": ("forecast", "forecast"),
    "get": ("got", "got"), "give": ("gave", "given"), "go": ("went", "gone"), "grow": ("grew", "grown"),
    "have": ("had", "had"), "hear": ("heard", "heard"), "hide": ("hid", "hidden"), "hit": ("hit", "hit"),
    "hold": ("held", "held"), "keep": ("kept", "kept"), "know": ("knew", "known"), "lay": ("laid", "laid"),
    "lead": ("led", "led"), "leave": ("left", "left"), "lend": ("lent", "lent"), "let": ("let", "let"),
    "lose": ("lost", "lost"), "make": ("made", "made"), "mean": ("meant", "meant"),
    "meet": ("met", "met"), "pay": ("paid", "paid"), "put": ("put", "put"), "quit": ("quit", "quit"),
    "rise": ("rose", "risen"), "run": ("ran", "run"), "say": ("said", "said"), "see": ("saw", "seen"),
    "seek": ("sought", "sought"), "sell": ("sold", "sold"), "send": ("sent", "sent"), "set": ("set", "set"),
    "shake": ("shook", "shaken"), "shut": ("shut", "shut"), "sink": ("sank", "sunk"),
    "speak": ("spoke", "spoken"), "spend": ("spent", "spent"), "stand": ("stood", "stood"),
    "steal": ("stole", "stolen"), "strike": ("struck", "struck"), "swear": ("swore", "sworn"),
    "take": ("took", "taken"), "teach": ("taught", "taught"), "tell": ("told", "told"),
    "think": ("thought", "thought"), "throw": ("threw", "thrown"), "understand": ("understood", "understood"),
    "undertake": ("undertook", "undertaken"), "win": ("won", "won"), "withdraw": ("withdrew", "withdrawn"),
    "write": ("wrote", "written"), "arise": ("arose", "arisen"), "bear": ("bore", "borne"),
    "beat": ("beat", "beaten"), "become": ("became", "become"), "bid": ("bid", "bid"),
    "bind": ("bound", "bound"), "blow": ("blew", "blown"), "burst": ("burst", "burst"),
    "cost": ("cost", "cost"), "freeze": ("froze", "frozen"), "hang": ("hung", "hung"),
    "ride": ("rode", "ridden"), "ring": ("rang", "rung"), "shoot": ("shot", "shot"),
    "show": ("showed", "shown"), "sit": ("sat", "sat"), "sleep": ("slept", "slept"),
    "spread": ("spread", "spread"), "stick": ("stuck", "stuck"), "sting": ("stung", "stung"),
    "tear": ("tore", "torn"), "wake": ("woke", "woken"), "wear": ("wore", "worn"),
}
_IRREGULAR_PAST = {forms[0]: base for base, forms in _IRREGULAR.items()}
_IRREGULAR_PAST.update({forms[1]: base for base, forms in _IRREGULAR.items()})
_IRREGULAR_PLURAL = {"man": "men", "woman": "women", "child": "children", "person": "people",
                     "analysis": "analyses", "crisis": "crises", "criterion": "criteria",
                     "phenomenon": "phenomena", "foot": "feet", "tooth": "teeth", "mouse": "mice"}
_IRREGULAR_SINGULAR = {v: k for k, v in _IRREGULAR_PLURAL.items()}
# Words ending in -s that are not plurals or third-person forms.
_NOT_PLURAL = re.compile(r"(?:ss|us|is|ics|ous|news|series|species|ways|less|^(?:was|has|does|gas|yes|its|thus|"
                         r"plus|across|always|perhaps|whereas|besides|afterwards|towards))$")
_NOT_ING = re.compile(r"(?:^(?:thing|string|spring|ring|wing|king|sing|bring)|during|morning|evening|ceiling|"
                      r"something|nothing|anything|everything)$")
_VOWELS = "aeiou"


def inflection_of(word: str) -> str:
    """The inflection a word shows: "s" (plural / 3rd person), "ed" (past), "ing", or "" (base)."""
    w = word.lower()
    if w in _IRREGULAR_PAST and w not in _IRREGULAR:
        return "ed"
    if w in _IRREGULAR_SINGULAR:
        return "s"
    if len(w) > 4 and w.endswith("ing") and not _NOT_ING.search(w):
        return "ing"
    if len(w) > 4 and w.endswith("ed") and not w.endswith("eed"):
        return "ed"
    if len(w) > 2 and w.endswith("s") and not _NOT_PLURAL.search(w) and w[-2] not in "'’":
        return "s"
    return ""


def _double_final(word: str) -> bool:
    """Short consonant-vowel-consonant words double their last letter: stop -> stopped."""
    return (len(word) >= 3 and word[-1] not in _VOWELS + "wxy" and word[-2] in _VOWELS
            and word[-3] not in _VOWELS and len(re.findall(r"[aeiou]+", word)) == 1)


def inflect(base: str, form: str) -> str:
    """Give a base word the inflection ``form`` ("s", "ed", "ing")."""
    w = base
    low = w.lower()
    if form == "ed":
        if low in _IRREGULAR:
            return capitalise_like(w, _IRREGULAR[low][0])
        if low.endswith("e"):
            return w + "d"
        if low.endswith("y") and len(low) > 1 and low[-2] not in _VOWELS:
            return w[:-1] + "ied"
        if _double_final(low):
            return w + w[-1] + "ed"
        return w + "ed"
    if form == "ing":
        if low.endswith("ie"):
            return w[:-2] + "ying"
        if low.endswith("e") and not low.endswith(("ee", "ye", "oe")):
            return w[:-1] + "ing"
        if _double_final(low):
            return w + w[-1] + "ing"
        return w + "ing"
    if form == "s":
        if low in _IRREGULAR_PLURAL:
            return capitalise_like(w, _IRREGULAR_PLURAL[low])
        if low.endswith("y") and len(low) > 1 and low[-2] not in _VOWELS:
            return w[:-1] + "ies"
        if low.endswith(("s", "x", "z", "ch", "sh")):
            return w + "es"
        return w + "s"
    return w


def inflect_like(spun: str, replacement: str, known=None) -> str:
    """``replacement`` inflected the way ``spun`` is: inflect_like("scratched", "scrape") == "scraped".

    For phrases the head is inflected: the last word for noun phrases ("money related emergencies" ->
    "financial crises"); a leading verb when the spun phrase's first word carries -ed or -ing.
    ``known(word)``, when given, must accept the inflected word, else the replacement stays as it is:
    "money related" -> "financial" (not "financialed"), "standardized" -> "similar".
    """
    s_words, r_words = spun.split(), replacement.split()
    if not s_words or not r_words:
        return replacement
    if len(s_words) > 1 and inflection_of(s_words[0]) in ("ed", "ing") and not inflection_of(s_words[-1]):
        idx_s, idx_r = 0, 0
    else:
        idx_s, idx_r = -1, -1
    form = inflection_of(s_words[idx_s])
    target = r_words[idx_r]
    if not form or inflection_of(target) == form or not target.isalpha():
        return replacement
    if form == "ed" and inflection_of(target) == "s":  # "scrapes" is not a base form: leave it
        return replacement
    inflected = inflect(target, form)
    if known is not None and not known(inflected.lower()):
        return replacement  # no such word: the ending was part of the spun phrase ("related")
    r_words[idx_r] = inflected
    return " ".join(r_words)


# ---------------------------------------------------------------------------------------------------
# Indefinite article

# Vowel letters that sound like a consonant ("a university", "a one-off"), and silent h ("an hour").
_CONSONANT_SOUND = re.compile(r"^(?:uni(?!nd|nt|nh|nf|ns|nl|nc|ntel)|use|usu|uti|ure|eu|ewe|one\b|once|uk\b|u\.)",
                              re.I)
_VOWEL_SOUND = re.compile(r"^(?:hour|honest|honou?r|heir)", re.I)
# Initialisms read letter by letter: "an MP", "an FBI agent", "a UN report".
_LETTER_VOWEL_SOUND = set("AEFHILMNORSX")


def indefinite_article(word: str) -> str:
    """ "a" or "an" for the word that follows the article."""
    w = word.strip("\"'“‘(")
    if not w:
        return "a"
    if w.isdigit() or w[:1].isdigit():
        return "an" if re.match(r"^(?:8|11|18)(?:\D|$)|^8\d", w) else "a"
    letters = re.sub(r"[^A-Za-z]", "", w.split("-")[0])
    if len(letters) >= 2 and letters.isupper() and not re.match(r"^[A-Z][a-z]", w):
        return "an" if letters[0] in _LETTER_VOWEL_SOUND else "a"
    if _VOWEL_SOUND.match(w):
        return "an"
    if _CONSONANT_SOUND.match(w):
        return "a"
    return "an" if w[:1].lower() in _VOWELS else "a"
