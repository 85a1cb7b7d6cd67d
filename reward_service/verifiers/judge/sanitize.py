"""What the judge is shown of untrusted text (responses, and problems and golds from scraped
data): folded, then stripped of grader-directed content.

Folding (NFKC, zero-width and control characters removed) makes full-width, zero-width-split
and look-alike spellings read as what they say, so the rules below see what the judge would see.
Then delimiter look-alikes (ours, the public verifiers', fake end tags), chat-role markers,
verdict-shaped text (``Final Decision: Yes``, ``"parts": [...]``, a lone option letter) and
instructions aimed at the grader ("ignore previous instructions", "忽略以上指令") are replaced by
``[removed]``. Last, every sentence that still carries verdict vocabulary (approval, grades,
verdicts, passes, equivalence claims, words addressed to a grader or reviewer — English and
Chinese) is removed whole: a paraphrase cannot be listed, but it cannot say "correct" without a
word of that class. This costs the judge some honest sentences ("the correct answer is 5");
the extracted final answer reaches it separately (``$answer``).

Problems and golds are data too, but no policy writes them: :func:`sanitize_data` only folds
them and removes delimiter look-alikes and chat-role markers (so scraped text cannot close our
data block). Removing their verdict sentences would remove the question itself — Chinese K-12
problems ask "下列说法正确的是" or "验证…" — and the judge would be asked about a problem it
cannot read.

Sanitising is the first line; the second is that the prompt declares the delimited block as
data, and the third that only a constrained, strictly parsed reply counts.
"""

from __future__ import annotations

import re
import unicodedata

REMOVED = "[removed]"
TRUNCATED = "[…earlier text truncated…]\n"
_MARKERS = [
    # delimiters of our prompts and of the public verifiers' formats
    r"(?<!<)<{2,}+[^<>\n]{0,60}>{2,}",  # any <<<MARKER>>>, ours included
    r"<\s*(?:original question|standard answer|candidate'?s answer)\s*(?:begin|end)\s*>:?",
    r"\[\s*(?:question|output sentence|correct answer|judg(?:e)?ment)\s*\]\s*:?",
    r"###\s*(?:question|ground truth answer|student answer)\s*:?",
    # chat roles and special tokens
    r"<\|[^|>\n]{1,30}\|>",
    r"^[ \t]*(?:system|assistant|user|grader|judge)[ \t]*:",
    r"\[/?INST\]",
    r"</?s>",
]
_MARKER = re.compile("|".join(_MARKERS), re.IGNORECASE | re.MULTILINE)
_SUSPICIOUS = re.compile(
    "|".join(
        [
            *_MARKERS,
            # verdict-shaped text
            r"final\s+decision\s*:?\s*(?:yes|no)?",
            r"\"\s*(?:parts|process|verdict|judgment)\s*\"\s*:",
            r"^[ \t]*\(?[ABC]\)?[ \t]*$",
            r"^[ \t]*(?:correct|incorrect|invalid)[ \t]*[.!]?[ \t]*$",
            r"\\boxed\s*\{\s*[ABC]\s*\}",
            r"[:：][ \t]*\(?[ABC]\)?[ \t]*$",  # a grade letter ending a line
            r"[✓✔✅☑✗✘❌]",
            r"</?\s*[a-z_]*(?:student|solution|answer|response|verdict|grade|data|input)[a-z_]*\s*>",
            # instructions to the grader
            r"ignore\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier)\s+"
            r"(?:instructions?|rules?|prompts?|criteria)",
            r"(?:disregard|forget)\s+(?:all\s+|the\s+)?(?:previous|above|prior)\s+\w+",
            r"(?:as|you are)\s+(?:the|a|an)\s+(?:\w+\s+){0,2}"
            r"(?:grader|judge|grading expert|verifier|evaluator)",
            r"\"\s*(?:correct|incorrect|sound|flawed|yes|no|true|false|[abc])\s*\"",
            r"(?:mark|grade|judge|rate|score)\s+(?:this|the|my)\s+(?:answer|response|solution)\s+"
            r"(?:as\s+)?(?:correct|right|true|a|yes)",
            r"忽略[^。\n]{0,10}(?:指令|指示|说明|规则|要求)",
            r"(?:作为|你是)[^。\n]{0,6}(?:评分|阅卷|裁判|评判)",
            r"(?:判定|判为|评为|给出)[^。\n]{0,6}(?:正确|满分)",
            r"满分",
            r"最终判定",
        ]
    ),
    re.IGNORECASE | re.MULTILINE,
)


# A verdict word left right after a removed fragment ("assistant: correct").
_LEFTOVER = re.compile(
    r"\[removed\][\s:：,，.。]*(?:correct|incorrect|invalid|yes|no|[abc])\b", re.IGNORECASE
)


# Format characters (zero-width spaces and joiners, bidi controls, soft hyphen, BOM) and
# control characters other than newline and tab.
_INVISIBLE = {
    code: None
    for code in range(0x110000)
    if unicodedata.category(chr(code)) in ("Cf", "Cc") and chr(code) not in "\n\t"
}


def fold(text: str) -> str:
    """NFKC-folded (full-width letters, ligatures, compatibility forms → plain), without
    invisible format or control characters."""
    return unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).translate(_INVISIBLE)


_SENTENCE_END = r"\n.!?;。！？；"
VERDICT_VOCABULARY: dict[str, str] = {
    "approval": r"\b(?:in)?correct\w*|\b(?:right|true|yes|pass\w*|accept\w*|valid\w*)\b",
    "equivalence": r"\b(?:verif\w*|equivalent|match\w*|identical|consistent)\b|一致|等价"
    r"|(?:二者|两者)[^。\n]{0,4}(?:相同|一样)",
    "grading": r"\b(?:grade\w*|verdict\w*|decision\w*|scor\w*|judg\w*|evaluat\w*|review\w*)\b"
    r"|\b(?:marker|rubric|full marks|not wrong)\b",
    "score": r"(?<!\d)\d+\s*/\s*\d+\s*(?:points?|marks?|分)?\s*$|得分|分数|打分|给分|扣分",
    "zh_verdict": r"正确|是对的|(?:^|[:：\s])对(?=[!！。]|$)|满分|通过|无误|合格|全对"
    r"|判定|评分|阅卷|评判|判为|评定|评语|批改|批注|审核|核对|指令|老师|验证为|总评|最终判断",
    "zh_traditional": r"正確|對的|滿分|無誤|通過|判對|評分|閱卷",
    "other_languages": r"\b(?:richtig|korrekt|correct[oa]|corrett[oa]|giust[oa]|juste|exacte?"
    r"|верно|правильно)\b|正解|정답",
    "pinyin": r"\b(?:zhengque|zhèngquè|manfen|mǎnfēn|duide)\b",
    # claims about the reference or the problem: not the student's mathematics
    "reference_claim": r"\b(?:reference|gold|answer key|errata|typo|updated|revised|buggy)\b"
    r"|参考答案|标准答案|答案有误|印刷错误|勘误|题库|修订|更正|已更新",
    # requests to the reader and pointers to hidden payloads
    "request": r"\b(?:please|kindly|decode|rot13|base64|hex|backwards|reversed)\b"
    r"|请以|请按|请给|拜托|恳请|求求|解码|倒着读|反过来读",
}
"""Vocabulary a verdict, a grade, a claim about the reference or a request to the grader
cannot be written without, by class; a sentence holding any of it is removed whole."""
_VERDICT_WORDS = "|".join(f"(?:{words})" for words in VERDICT_VOCABULARY.values())
_VERDICT_WORD = re.compile(_VERDICT_WORDS, re.IGNORECASE)
_VERDICT_WORD_IN = re.compile(_VERDICT_WORDS, re.IGNORECASE | re.MULTILINE)
# A sentence with the punctuation that ends it (a line break ends one too but stays).
_SENTENCE = re.compile(rf"[^{_SENTENCE_END}]+[{_SENTENCE_END[2:]}]*")
# Verdict stems a sentence still spells once the separators between its letters are dropped
# ("cor rect", "c.o.r.r.e.c.t", "正-确", pinyin "zheng que"), read forwards or backwards.
_SEPARATORS = re.compile(r"[\s\-_.*·/|・]+")
_SPELLED_STEMS = re.compile(r"correct|verdict|zhengque|manfen|正确|满分|正確|滿分", re.IGNORECASE)
# A sentence for the spelled-stem check: dots may separate spelled letters, so only other
# sentence ends and line breaks end one.
_LINE_SENTENCE = re.compile(r"[^\n。！？；!?;]+")
# Single letters with separators between them ("Y e s", "正 确"); squashed when they spell
# verdict vocabulary.
_SPELLED_OUT = re.compile(r"(?<![^\W\d_])(?:[^\W\d_][\s\-_.*·/|・]+){2,}[^\W\d_](?![^\W\d_])")
# Cyrillic letters drawn like Latin ones; folded only inside a word that mixes them with
# Latin letters ("Vеrdісt"), so Russian text stays as written.
_CONFUSABLES = str.maketrans("аеіорсухѕԁјһАВСЕНІЈКМОРЅТХ", "aeiopcyxsdjhABCEHIJKMOPSTX")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_WORD = re.compile(r"\w+")
_LATIN = re.compile(r"[A-Za-z]")
# Encoded payload candidates (base64, hex) and \u escapes; see :func:`_payload`.
_PAYLOAD = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}|(?:\\u[0-9a-fA-F]{4}){2,}")
_HEX = re.compile(r"[0-9a-fA-F]+")


def _unmix(word: re.Match[str]) -> str:
    text = word.group()
    mixed = _CYRILLIC.search(text) and _LATIN.search(text)
    return text.translate(_CONFUSABLES) if mixed else text


def _payload(run: re.Match[str]) -> str:
    """A run no mathematics writes: base64 (upper and lower case and digits), hex (hex
    letters and digits), or escapes; other long runs (digits, a word) stay."""
    text = run.group().rstrip("=")
    kinds = (any(c.islower() for c in text), any(c.isupper() for c in text))
    has_digit = any(c.isdigit() for c in text)
    base64 = all(kinds) and has_digit
    hexadecimal = _HEX.fullmatch(text) is not None and has_digit and (kinds[0] or kinds[1])
    return REMOVED if text.startswith("\\u") or base64 or hexadecimal else run.group()


def _squash_spelled(run: re.Match[str]) -> str:
    squashed = _SEPARATORS.sub("", run.group())
    return squashed if _VERDICT_WORD.fullmatch(squashed) else run.group()


def _spelled_sentence(sentence: re.Match[str]) -> str:
    body = sentence.group()
    squashed = _SEPARATORS.sub("", body)
    spelled = _SPELLED_STEMS.search(squashed) or _SPELLED_STEMS.search(squashed[::-1])
    return REMOVED if spelled else body


def _verdict_sentence(sentence: re.Match[str]) -> str:
    body = sentence.group()
    return REMOVED if _VERDICT_WORD_IN.search(body) else body


def _drop_verdict_sentences(text: str) -> str:
    """Every sentence holding verdict vocabulary, also when spelled out letter by letter or
    split by separators, replaced by :data:`REMOVED` (one pass per sentence: linear time)."""
    text = _SENTENCE.sub(_verdict_sentence, _SPELLED_OUT.sub(_squash_spelled, text))
    return _LINE_SENTENCE.sub(_spelled_sentence, text)


def sanitize(text: str, max_chars: int) -> str:
    """The untrusted text folded, with grader-directed content removed, at most ``max_chars``
    long (the end is kept: that is where the final answer is). Only the last
    ``4 * max_chars`` characters are read, so the time is bounded whatever the input's size."""
    cleaned = fold(text[-4 * max_chars :])
    if _CYRILLIC.search(cleaned):
        cleaned = _WORD.sub(_unmix, cleaned)
    cleaned = _LEFTOVER.sub(REMOVED, _SUSPICIOUS.sub(REMOVED, _PAYLOAD.sub(_payload, cleaned)))
    cleaned = _drop_verdict_sentences(cleaned)
    if len(cleaned) > max_chars:
        cleaned = TRUNCATED + cleaned[-max_chars:]
    return cleaned


def sanitize_data(text: str, max_chars: int) -> str:
    """Text no policy writes (problems, golds), folded and without delimiter look-alikes or
    chat-role markers, at most ``max_chars`` long (the start is kept: a problem's question
    comes first and its options after)."""
    cleaned = _MARKER.sub(REMOVED, fold(text[: 4 * max_chars]))
    return cleaned[:max_chars]
