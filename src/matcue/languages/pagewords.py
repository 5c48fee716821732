"""The words of what matcue shows rather than speaks, per language: the share page, the
routine card (on the page and as a feed item's text), the session picture.

:func:`words_for` gives a language's :class:`Words`; a key a language leaves out is the
English one, so a new language can start with a few. ``{name}`` fields are filled by
:meth:`Words.fill` (never with ``str.format``: values may hold braces). ``safety`` lists
the words that mark a cue as a safety cue on the card (whole words, any case).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

ENGLISH: dict[str, str] = {
    "print_cards": "Print the routine cards",
    "footer": "Made with matcue. Everything on this page is in this folder; it needs no internet.",
    "playlist": "playlist (M3U8)",
    "tracks_one": "1 track",
    "tracks_many": "{n} tracks",
    "in_all": "{length} in all",
    "cover_of": "Cover of {title}",
    "length": "Length",
    "chapters_count": "{n} chapters",
    "cannot_play": "Your browser cannot play this file:",
    "download_the": "download the {label}",
    "press_play": "Press play: the spoken cues show here.",
    "chapters": "Chapters",
    "card_title": "Routine card: {title}",
    "pose": "Pose",
    "sides": "Sides",
    "hold": "Hold",
    "each_side": "each side",
    "total": "Total {length}",
    "safety": "Safety",
    "files": "Files:",
    "scan": "Scan to open this page: {url}",
    "feed": "Podcast feed: {url}",
    "cues": "Cues",
    "breaths_one": "1 breath",
    "breaths_many": "{n} breaths",
    "left_mark": "L",
    "right_mark": "R",
    "left": "left",
    "right": "right",
}

WORDS: dict[str, dict[str, str]] = {
    "en": ENGLISH,
    "de": {
        "print_cards": "Übungskarten drucken",
        "footer": "Erstellt mit matcue. Alles auf dieser Seite liegt in diesem Ordner; sie braucht kein Internet.",
        "playlist": "Playlist (M3U8)",
        "tracks_one": "1 Titel",
        "tracks_many": "{n} Titel",
        "in_all": "{length} insgesamt",
        "cover_of": "Cover von {title}",
        "length": "Länge",
        "chapters_count": "{n} Kapitel",
        "cannot_play": "Dein Browser kann diese Datei nicht abspielen:",
        "download_the": "{label} herunterladen",
        "press_play": "Drücke auf Play: Hier erscheinen die gesprochenen Anweisungen.",
        "chapters": "Kapitel",
        "card_title": "Übungskarte: {title}",
        "pose": "Haltung",
        "sides": "Seiten",
        "hold": "Dauer",
        "each_side": "je Seite",
        "total": "Gesamt {length}",
        "safety": "Sicherheit",
        "files": "Dateien:",
        "scan": "Scannen, um diese Seite zu öffnen: {url}",
        "feed": "Podcast-Feed: {url}",
        "cues": "Anweisungen",
        "breaths_one": "1 Atemzug",
        "breaths_many": "{n} Atemzüge",
        "left_mark": "L",
        "right_mark": "R",
        "left": "links",
        "right": "rechts",
        "safety_words": "stopp stoppe hör auf schmerz schmerzen schmerzhaft nie niemals zwing zwingen "
        "vorsicht vorsichtig verletzung verletzt stechend taub taubheit kribbeln schwindel schwindelig "
        "überdehnen vermeide vermeiden",
    },
    "es": {
        "print_cards": "Imprimir las fichas de la rutina",
        "footer": "Hecho con matcue. Todo lo de esta página está en esta carpeta; no necesita internet.",
        "playlist": "lista de reproducción (M3U8)",
        "tracks_one": "1 pista",
        "tracks_many": "{n} pistas",
        "in_all": "{length} en total",
        "cover_of": "Portada de {title}",
        "length": "Duración",
        "chapters_count": "{n} capítulos",
        "cannot_play": "Tu navegador no puede reproducir este archivo:",
        "download_the": "descarga el {label}",
        "press_play": "Pulsa play: aquí aparecen las indicaciones habladas.",
        "chapters": "Capítulos",
        "card_title": "Ficha de la rutina: {title}",
        "pose": "Postura",
        "sides": "Lados",
        "hold": "Tiempo",
        "each_side": "cada lado",
        "total": "Total {length}",
        "safety": "Seguridad",
        "files": "Archivos:",
        "scan": "Escanea para abrir esta página: {url}",
        "feed": "Feed del pódcast: {url}",
        "cues": "Indicaciones",
        "breaths_one": "1 respiración",
        "breaths_many": "{n} respiraciones",
        "left_mark": "I",
        "right_mark": "D",
        "left": "izquierda",
        "right": "derecha",
        "safety_words": "para detente dolor duele doloroso nunca fuerces forzar cuidado lesión lesionado "
        "punzante entumecido entumecimiento hormigueo mareo mareado evita evitar",
    },
    "fr": {
        "print_cards": "Imprimer les fiches de la séance",
        "footer": "Fait avec matcue. Tout ce qui est sur cette page est dans ce dossier ; "
        "elle n'a pas besoin d'internet.",
        "playlist": "liste de lecture (M3U8)",
        "tracks_one": "1 piste",
        "tracks_many": "{n} pistes",
        "in_all": "{length} au total",
        "cover_of": "Couverture de {title}",
        "length": "Durée",
        "chapters_count": "{n} chapitres",
        "cannot_play": "Ton navigateur ne peut pas lire ce fichier :",
        "download_the": "télécharger le {label}",
        "press_play": "Appuie sur lecture : les consignes parlées s'affichent ici.",
        "chapters": "Chapitres",
        "card_title": "Fiche de la séance : {title}",
        "pose": "Posture",
        "sides": "Côtés",
        "hold": "Durée",
        "each_side": "de chaque côté",
        "total": "Total {length}",
        "safety": "Sécurité",
        "files": "Fichiers :",
        "scan": "Scanne pour ouvrir cette page : {url}",
        "feed": "Flux du podcast : {url}",
        "cues": "Consignes",
        "breaths_one": "1 respiration",
        "breaths_many": "{n} respirations",
        "left_mark": "G",
        "right_mark": "D",
        "left": "gauche",
        "right": "droite",
        "safety_words": "arrête arrêter stop douleur douleurs douloureux jamais force forcer attention "
        "blessure blessé vive engourdi engourdissement fourmillements vertige étourdi évite éviter",
    },
}

ENGLISH_SAFETY = (
    "stop pain painful never force forcing hurt hurts injury injured sharp numb numbness tingling dizzy "
    "strain careful avoid"
)
_FIELD = re.compile(r"\{([a-z_]+)\}")


class Words(Mapping[str, str]):
    """A language's shown words: ``words["chapters"]``, ``words.fill("total", length=...)``."""

    def __init__(self, code: str, table: Mapping[str, str]):
        self.code = code
        self._table = {**ENGLISH, **table}
        listed = table.get("safety_words") if code != "en" else None
        self.safety = tuple((listed or ENGLISH_SAFETY).split())
        self.safety_re = re.compile(r"\b(" + "|".join(map(re.escape, self.safety)) + r")\b", re.IGNORECASE)

    def __getitem__(self, key: str) -> str:
        return self._table[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def fill(self, key: str, **values: object) -> str:
        """The words of ``key`` with each ``{name}`` replaced by ``values[name]``, in one pass."""
        return _FIELD.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), self[key])

    def count(self, key: str, n: int) -> str:
        """``key_one`` for 1, else ``key_many`` with ``{n}``: "1 breath", "5 breaths"."""
        return self[f"{key}_one"] if n == 1 else self.fill(f"{key}_many", n=n)

    def side(self, side: str) -> str:
        return self[side] if side in ("left", "right") else side


@cache
def words_for(tag: str) -> Words:
    """The shown words of ``tag``'s language (English for a language without its own)."""
    from matcue.languages import primary

    code = primary(tag) or "en"
    return Words(code if code in WORDS else "en", WORDS.get(code, ENGLISH))
