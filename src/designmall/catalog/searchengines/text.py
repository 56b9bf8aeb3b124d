"""Text for the search engines: jieba segmentation, documents and query terms.

Both engines see the same words. Chinese (Han) runs are segmented with jieba
(search mode when indexing, so a compound also yields its dictionary sub-words;
precise mode for queries). Everything else (English, digits) is left to the
database's own tokenizer, which stems it (FTS5 ``porter``, PostgreSQL
``english``). Title Han characters are also indexed one by one, in order, so a
Chinese query word the segmenter split differently still matches as a phrase
of characters.

Text is NFKC-normalised first, so full-width letters and digits typed with a
Chinese input method match their ASCII forms. This module knows no database.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass

# CJK ideographs: extension A, the unified block and the compatibility ideographs that are
# assigned (U+FA6E-FA6F and U+FADA-FAFF are not letters: they are left out of terms).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufa6d\ufa70-\ufad9"
_HAN_RUN = re.compile(f"[{_HAN}]+")
# Words the database tokenizers keep: letters and digits, not underscores.
_LATIN_WORD = re.compile(r"[^\W_]+")

MAX_QUERY_CHARS = 100
MAX_QUERY_TERMS = 8
# Descriptions are cut before indexing: segmenting is the cost of a rebuild
# and the first sentences carry the searchable words.
DESCRIPTION_HAN_CHARS = 100
DESCRIPTION_OTHER_CHARS = 200

# Words of the design trade that jieba's dictionary lacks or cuts apart.
# fmt: off
DESIGN_WORDS = (
    "极简", "侘寂", "手作", "文创", "潮玩", "边几", "斗柜", "花器", "杯垫", "抱枕", "粗陶",
    "金缮", "建盏", "香插", "香氛", "扩香", "餐垫", "夜灯", "桌搭", "吧台椅", "吧台凳", "餐边柜",
    "白蜡木", "新中式", "北欧风", "工业风", "奶油风", "原木风", "侘寂风", "氛围灯", "公道杯",
    "品茗杯", "儿童椅", "贵妃椅", "收纳筐", "收纳篮", "脏衣篮", "香薰蜡烛", "极简主义",
    "装置艺术", "设计师款", "胡桃木", "黑胡桃", "樱桃木", "白橡木", "落地灯", "休闲椅", "茶具",
)
# fmt: on
_DESIGN_WORD_FREQ = 3000

# PostgreSQL's english stop words (Snowball list): dropped from queries on both
# engines so a query means the same everywhere.
# fmt: off
ENGLISH_STOP_WORDS = frozenset({
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
    "by", "can", "did", "do", "does", "doing", "don", "down", "during", "each", "few", "for",
    "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
    "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just",
    "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once",
    "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "s", "same", "she",
    "should", "so", "some", "such", "t", "than", "that", "the", "their", "theirs", "them",
    "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which",
    "while", "who", "whom", "why", "will", "with", "you", "your", "yours", "yourself",
    "yourselves",
})
# fmt: on

_tokenizer = None
_tokenizer_lock = threading.Lock()


def load_dictionary() -> None:
    """Load jieba's dictionary now rather than on first use."""
    _jieba()


def _jieba():
    """The process's jieba tokenizer, loaded on first use, quietly, with our words."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in DESIGN_WORDS:
                    if not tokenizer.FREQ.get(word):  # never reweigh jieba's own words
                        tokenizer.add_word(word, _DESIGN_WORD_FREQ)
                _tokenizer = tokenizer
    return _tokenizer


def split_han(text: str) -> tuple[list[str], str]:
    """The Han runs of ``text`` and the rest of it (Han runs replaced by spaces)."""
    text = unicodedata.normalize("NFKC", text)
    return _HAN_RUN.findall(text), _HAN_RUN.sub(" ", text)


@dataclass(frozen=True)
class Document:
    """One product's search document, as text for the database tokenizers.

    ``*_words`` are space-separated Han words; ``*_other`` is the remaining
    (mostly English) text, left for the database to tokenize and stem;
    ``title_chars`` is every Han character of the titles, space-separated.
    """

    product_id: int
    title_words: str
    title_other: str
    title_chars: str
    meta_words: str
    meta_other: str
    body_words: str
    body_other: str


# (product id, titles, names, descriptions): the text of one product.
TextRow = tuple[int, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


class DocumentBuilder:
    """Builds documents, remembering the segmentation of each Han run it has seen.

    Shop, designer and category names repeat across products, and so do the
    sentences of many descriptions; one builder per rebuild segments each of
    them once.
    """

    def __init__(self, *, memo_limit: int = 200_000) -> None:
        self._memo: dict[str, str] = {}
        self._names: dict[tuple[str, ...], tuple[str, str]] = {}
        self._memo_limit = memo_limit

    def _words(self, runs: list[str]) -> str:
        memo = self._memo
        out = []
        for run in runs:
            words = memo.get(run)
            if words is None:
                words = " ".join(_jieba().cut_for_search(run, HMM=False))
                if len(memo) >= self._memo_limit:
                    memo.clear()
                memo[run] = words
            out.append(words)
        return " ".join(out)

    def _field(self, texts: tuple[str, ...]) -> tuple[str, str, list[str]]:
        runs: list[str] = []
        other: list[str] = []
        for text in texts:
            if text:
                han, rest = split_han(text)
                runs.extend(han)
                other.append(rest)
        return self._words(runs), " ".join(other), runs

    def _meta(self, names: tuple[str, ...]) -> tuple[str, str]:
        meta = self._names.get(names)
        if meta is None:
            if len(self._names) >= self._memo_limit:
                self._names.clear()
            meta = self._names[names] = self._field(names)[:2]
        return meta

    def build(
        self,
        *,
        product_id: int,
        titles: tuple[str, ...],
        names: tuple[str, ...],
        descriptions: tuple[str, ...],
    ) -> Document:
        """A document from the product's titles, the names around it and its descriptions."""
        title_words, title_other, title_runs = self._field(titles)
        meta_words, meta_other = self._meta(names)
        body_runs: list[str] = []
        body_other: list[str] = []
        han_left = DESCRIPTION_HAN_CHARS
        for text in descriptions:
            if not text:
                continue
            han, rest = split_han(text)
            for run in han:
                if han_left <= 0:
                    break
                body_runs.append(run[:han_left])
                han_left -= len(run)
            body_other.append(rest[:DESCRIPTION_OTHER_CHARS])
        return Document(
            product_id=product_id,
            title_words=title_words,
            title_other=title_other,
            title_chars=" ".join("".join(title_runs)),
            meta_words=meta_words,
            meta_other=meta_other,
            body_words=self._words(body_runs),
            body_other=" ".join(body_other),
        )

    def build_all(self, rows: list[TextRow]) -> list[Document]:
        return [self.build(product_id=i, titles=t, names=n, descriptions=d) for i, t, n, d in rows]


_helper_builder: DocumentBuilder | None = None


def build_documents(rows: list[TextRow]) -> list[Document]:
    """Documents for ``rows``, in a rebuild's helper process (one builder per process)."""
    global _helper_builder
    if _helper_builder is None:
        _helper_builder = DocumentBuilder()
    return _helper_builder.build_all(rows)


@dataclass(frozen=True)
class Term:
    """One word of a query: all terms must match (AND).

    A Han term matches as a whole indexed word (indexing in search mode also
    indexes the dictionary words inside compounds), or, if longer than one
    character, as the phrase of its characters in a title. Other terms match
    stemmed, and as a prefix when they have three letters or more.
    """

    text: str
    han: bool

    @property
    def prefix(self) -> bool:
        return not self.han and len(self.text) >= 3


def query_terms(query: str) -> list[Term]:
    """The terms of a user's query: never raises, at most ``MAX_QUERY_TERMS``.

    Punctuation, operators and symbols are dropped (only letters and digits
    survive), English stop words are dropped, duplicates are removed, and
    over-long input is cut. An empty list means nothing searchable was given.
    """
    if not isinstance(query, str):
        return []
    text = unicodedata.normalize("NFKC", query[:MAX_QUERY_CHARS])
    terms: list[Term] = []
    seen: set[str] = set()

    def add(word: str, han: bool) -> None:
        if word not in seen:
            seen.add(word)
            terms.append(Term(word, han))

    position = 0
    for match in _HAN_RUN.finditer(text):
        for word in _LATIN_WORD.findall(text[position : match.start()]):
            word = word.lower()
            if word not in ENGLISH_STOP_WORDS:
                add(word, han=False)
        for word in _jieba().cut(match.group(), HMM=False):
            add(word, han=True)
        position = match.end()
    for word in _LATIN_WORD.findall(text[position:]):
        word = word.lower()
        if word not in ENGLISH_STOP_WORDS:
            add(word, han=False)
    return terms[:MAX_QUERY_TERMS]
