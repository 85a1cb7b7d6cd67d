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
    r"<{2,}[^<>\n]{0,60}>{2,}",  # any <<<MARKER>>>, ours included
    r"<\s*(?:original question|standard answer|candidate'?s answer)\s*(?:begin|end)\s*>:?",
    r"\[\s*(?:question|output sentence|correct answer|judg(?:e)?ment)\s*\]\s*:?",
    r"###\s*(?:question|ground truth answer|student answer)\s*:?",
    # chat roles and special tokens
    r"<\|[^|>\n]{1,30}\|>",
    r"^\s*(?:system|assistant|user|grader|judge)\s*:",
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
            r"^\s*\(?[ABC]\)?\s*$",
            r"^\s*(?:correct|incorrect|invalid)\s*[.!]?\s*$",
            r"\\boxed\s*\{\s*[ABC]\s*\}",
            r"[:：]\s*\(?[ABC]\)?\s*$",  # a grade letter ending a line
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
_VERDICT_WORDS = "|".join(
    [
        r"\b(?:in)?correct\w*",
        r"\b(?:right|true|yes|pass\w*|accept\w*|valid\w*|verif\w*|equivalent|match\w*)\b",
        r"\b(?:grade\w*|verdict\w*|decision\w*|scor\w*|judg\w*|evaluat\w*|review\w*)\b",
        r"\b(?:marker|rubric|full marks|not wrong)\b",
        r"\d+\s*/\s*\d+\s*(?:points?|marks?)?\s*$",
        r"正确|是对的|(?:^|[:：\s])对(?=[!！。]|$)|满分|通过|无误|合格|等价|判定|评分|阅卷|评判|判为",
        r"评定|评语|批改|批注|审核|核对|指令|老师|验证为",
    ]
)
_VERDICT_SENTENCE = re.compile(
    rf"[^{_SENTENCE_END}]*(?:{_VERDICT_WORDS})[^{_SENTENCE_END}]*[{_SENTENCE_END[2:]}]*",
    re.IGNORECASE | re.MULTILINE,
)


def sanitize(text: str, max_chars: int) -> str:
    """The untrusted text folded, with grader-directed content removed, at most ``max_chars``
    long (the end is kept: that is where the final answer is)."""
    cleaned = _LEFTOVER.sub(REMOVED, _SUSPICIOUS.sub(REMOVED, fold(text)))
    cleaned = _VERDICT_SENTENCE.sub(REMOVED, cleaned)
    if len(cleaned) > max_chars:
        cleaned = TRUNCATED + cleaned[-max_chars:]
    return cleaned


def sanitize_data(text: str, max_chars: int) -> str:
    """Text no policy writes (problems, golds), folded and without delimiter look-alikes or
    chat-role markers, at most ``max_chars`` long (the start is kept: a problem's question
    comes first and its options after)."""
    cleaned = _MARKER.sub(REMOVED, fold(text))
    return cleaned[:max_chars]
