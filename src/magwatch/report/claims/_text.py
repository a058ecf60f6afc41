"""Text shape: normalising abbreviations, prose from HTML and Markdown briefs, sentences and clauses."""

from __future__ import annotations

import html
import re

from magwatch.report.claims._model import _Sentence


def _normalise(text: str) -> str:
    text = (text.replace("\u2212", "-").replace("\u2013", "-").replace("\u2014", " - ")
            .replace("\u00a0", " ").replace("\u2009", " ").replace("\u2019", "'")
            .replace("\u201c", '"').replace("\u201d", '"'))
    text = re.sub(r"\bU\.\s?S\.(?=\s|,|;|'|-|$)", "US", text)
    text = re.sub(r"(?<=\w)-bound\b", " bound", text)
    text = re.sub(r"\bU\.\s?S\.\s?A\.", "USA", text)
    text = re.sub(r"\bU\.\s?K\.", "UK", text)
    text = re.sub(r"\b(No)\.\s?(\d)", r"\1 \2", text)
    text = re.sub(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.", r"\1", text)
    return text


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (after normalising abbreviations such as U.S. and Jan.)."""
    out = []
    for para in re.split(r"\n\s*\n", _normalise(text)):
        para = " ".join(para.split())
        for s in re.split(r"(?<=[.!?])\s+(?=[\"'(]?[A-Z0-9$])", para):
            s = s.strip()
            if s:
                out.append(s)
    return out


def _clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) spans of the clauses of a sentence."""
    cuts = [0]
    for m in re.finditer(r";|,\s+(?:while|whereas|but|and)\s|\s(?:while|whereas)\s|,\s+"
                         r"(?=(?:shipments|exports|sales|volumes?)\b)|:\s|,?\s+followed by\s", sentence):
        cuts.append(m.start())
    cuts.append(len(sentence))
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def _clause_of(s: _Sentence, pos: int) -> int:
    for i, (a, b) in enumerate(s.clauses):
        if a <= pos < b:
            return i
    return len(s.clauses) - 1


def _plain(text: str) -> str:
    """The prose of a text: HTML tags dropped, Markdown footnote definitions (sources, not
    sentences) and footnote marks removed."""
    if re.match(r"\s*<(?:!doctype|html|body|div|p|article|section|h1)\b", text, re.I):
        text = re.sub(r"<(?:script|style)\b.*?</(?:script|style)>", " ", text, flags=re.I | re.S)
        text = re.sub(r"</(?:p|div|h\d|li|tr|section|article|table|br)\s*>|<br\s*/?>", "\n\n", text, flags=re.I)
        text = re.sub(r"<sup[^>]*>.*?</sup>", "", text, flags=re.I | re.S)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.sub(r"(?m)^\s*\[\^[^\]]+\]:.*(?:\n(?!\s*\n)(?!\s*\[\^).*)*", "", text)
    text = re.sub(r"\[\^[^\]]+\]", "", text)
    text = re.sub(r"(?m)(?:^\s*\|.*\|\s*$\n?)+", lambda m: _table_sentences(m.group(0)), text)
    text = re.sub(r"(?m)^\s*!\[[^\]]*\]\([^)]*\)\s*$", "", text)
    return re.sub(r"(?m)^\s*#+\s*(.*)$", r"\1.", text)


#: Table columns read as a figure's measure: header -> how the cell is written in a sentence.
_TABLE_MEASURES = {"m/m": "{} m/m", "y/y": "{} y/y", "share": "{} share", "net weight": "{}",
                   "value": "{}", "tonnes": "{}"}


def _table_sentences(block: str) -> str:
    """A Markdown table as sentences, one a row: "Germany: 1,118 t; -13.2% m/m; 20.4% share."

    Only columns whose header names a measure are read (net weight, m/m, y/y, share); a rank
    column is left out, since a table does not say which rank (computed or reported) it shows.
    """
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in block.strip().splitlines()]
    if len(rows) < 3 or not re.fullmatch(r"[\s:|-]+", "|".join(rows[1])):
        return block
    header = [h.lower() for h in rows[0]]
    out = []
    for row in rows[2:]:
        cells = dict(zip(header, row))
        subject = cells.get("destination") or cells.get("partner") or row[0]
        parts = [_TABLE_MEASURES[h].format(v) for h, v in cells.items()
                 if h in _TABLE_MEASURES and re.search(r"\d", v)]
        if parts:
            out.append(f"{subject}: {'; '.join(parts)}.")
    return "\n\n" + "\n\n".join(out) + "\n\n"


def _span_text(sent: str, a: int, b: int) -> str:
    a2 = max(0, a - 30)
    while a2 > 0 and not sent[a2 - 1].isspace():
        a2 -= 1
    b2 = min(len(sent), b + 25)
    while b2 < len(sent) and not sent[b2].isspace():
        b2 += 1
    out = sent[a2:b2].strip(" ,;")
    return ("..." if a2 > 0 else "") + out + ("..." if b2 < len(sent) else "")
