"""Word segmentation for the search index and for queries (Chinese by rjieba, English by words).

Chinese has no spaces, so both the indexed text and the query are cut into words here and the
databases only see space-separated, lower-cased words. The index uses the search mode (a long word
also yields its shorter words: 打印机 → 打印, 印机, 打印机), so a query for a two-character word
finds the longer ones. The dictionary is rjieba's general one plus the IT terms shipped beside
this file plus the words admins add (`SearchWord`), reloaded when those change.

English words are also indexed and queried by their stem (Snowball's English stemmer): the index
holds `connection` and `connect`, and a query for `connecting` matches words starting with
`connecting` or whose stem is `connect` — so `printers` finds `printer` and `connecting` finds
`connection`. Chinese, numbers and words mixing letters and digits are never stemmed.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import rjieba
import snowballstemmer

from sopdesk.core.config_cache import StampedCache

DICTIONARY = Path(__file__).with_name("dictionary.txt")
# Letters and digits; everything else (punctuation, FTS operators, quotes) separates words.
_WORD = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Words the English stemmer sees: ASCII letters only (not `win10`, not `vpn2`, not Chinese).
_ENGLISH = re.compile(r"[a-z]{3,}")
# A query is cut to this many words: longer ones are refused by the callers' length limits anyway.
MAX_QUERY_WORDS = 16


def shipped_words() -> list[str]:
    """Return the IT terms shipped with the app."""
    lines = DICTIONARY.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _admin_words() -> tuple[str, ...]:
    from sopdesk.search.models import SearchWord

    return tuple(SearchWord.objects.order_by("word").values_list("word", flat=True))


class _Segmenter:
    """One rjieba instance per dictionary state: added words cannot be removed, so a change builds a new one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._words: tuple[str, ...] | None = None
        self._jieba: rjieba.Jieba | None = None
        self._admin = StampedCache(_admin_words)

    def jieba(self) -> rjieba.Jieba:
        words = self._admin.get()
        with self._lock:
            if self._jieba is None or words != self._words:
                jieba = rjieba.Jieba()
                for word in [*shipped_words(), *words]:
                    jieba.add_word(word, None, None)
                self._jieba, self._words = jieba, words
            return self._jieba


_segmenter = _Segmenter()
# A stemmer keeps state while it works: one per thread.
_stemmers = threading.local()


@lru_cache(maxsize=100_000)
def english_stem(word: str) -> str | None:
    """Return the stem of an English `word` (lower case) when it differs from the word, else None."""
    if not _ENGLISH.fullmatch(word):
        return None
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = snowballstemmer.stemmer("english")
    stem: str = stemmer.stemWord(word)
    return stem if stem and stem != word else None


def _words(tokens: list[str]) -> list[str]:
    return [piece.lower() for token in tokens for piece in _WORD.findall(token)]


def index_words(text: str) -> list[str]:
    """Return the words under which `text` is indexed (search mode, lower case, in order;
    an English word is followed by its stem when that differs)."""
    if not text:
        return []
    words: list[str] = []
    for word in _words(_segmenter.jieba().cut_for_search(text)):
        words.append(word)
        stem = english_stem(word)
        if stem is not None:
            words.append(stem)
    return words


def index_text(text: str) -> str:
    """Return `text` as the space-separated words the databases index."""
    return " ".join(index_words(text))


@dataclass(frozen=True)
class QueryWord:
    text: str
    prefix: bool  # match words that start with it (English words, single Chinese characters)
    stem: str | None = None  # an English word also matches indexed words with this stem (exactly)


def query_words(query: str) -> list[QueryWord]:
    """Return the words of a user's query, at most MAX_QUERY_WORDS, without repeats.

    Whole Chinese words must match exactly (the index holds their parts too); Latin words and
    single Chinese characters match as prefixes, so `pass` finds `password` and 网 finds 网络;
    English words also match by stem, so `connecting` finds `connection`.
    """
    seen: dict[str, QueryWord] = {}
    for word in _words(_segmenter.jieba().cut(query)):
        if word in seen:
            continue
        is_chinese = bool(_CJK.search(word))
        seen[word] = QueryWord(word, prefix=not is_chinese or len(word) == 1, stem=english_stem(word))
        if len(seen) >= MAX_QUERY_WORDS:
            break
    return list(seen.values())
