#!/usr/bin/env python
"""Generate the offline voice clips of the hall display with espeak-ng and sox.

The display composes an announcement such as «Талон А пятнадцать, пройдите к
окну три» from these clips, so it speaks with no internet and no speech
engine on the TV. The clips are committed; run this again only to change the
voice (needs `apt-get install espeak-ng sox libsox-fmt-all`).

    python tools/make_voice.py
"""

import subprocess
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "displays" / "static" / "displays" / "voice" / "ru"

WORDS = {
    "talon": "Талон",
    "go_to": "пройдите к окну",
    "thousand_1": "тысяча",
    "thousand_2": "тысячи",
    "thousand_5": "тысяч",
    "one_f": "одна",
    "two_f": "две",
}
NUMBERS = {
    0: "ноль", 1: "один", 2: "два", 3: "три", 4: "четыре", 5: "пять", 6: "шесть", 7: "семь", 8: "восемь",
    9: "девять", 10: "десять", 11: "одиннадцать", 12: "двенадцать", 13: "тринадцать", 14: "четырнадцать",
    15: "пятнадцать", 16: "шестнадцать", 17: "семнадцать", 18: "восемнадцать", 19: "девятнадцать",
    20: "двадцать", 30: "тридцать", 40: "сорок", 50: "пятьдесят", 60: "шестьдесят", 70: "семьдесят",
    80: "восемьдесят", 90: "девяносто", 100: "сто", 200: "двести", 300: "триста", 400: "четыреста",
    500: "пятьсот", 600: "шестьсот", 700: "семьсот", 800: "восемьсот", 900: "девятьсот",
}  # fmt: skip
LETTERS = {
    "А": "а", "Б": "бэ", "В": "вэ", "Г": "гэ", "Д": "дэ", "Е": "е", "Ж": "жэ", "З": "зэ", "И": "и",
    "К": "ка", "Л": "эль", "М": "эм", "Н": "эн", "О": "о", "П": "пэ", "Р": "эр", "С": "эс", "Т": "тэ",
    "У": "у", "Ф": "эф", "Х": "ха", "Ц": "цэ", "Ч": "че", "Ш": "ша", "Э": "э", "Ю": "ю", "Я": "я",
}  # fmt: skip


def speak(text: str, target: Path) -> None:
    with tempfile.NamedTemporaryFile(suffix=".wav") as wav:
        subprocess.run(["espeak-ng", "-v", "ru", "-s", "135", "-p", "45", "-w", wav.name, text], check=True)
        # Trim the silence espeak leaves around a word, so clips join naturally.
        subprocess.run(
            ["sox", wav.name, "-r", "22050", "-C", "3", str(target), "silence", "1", "0.02", "0.5%", "reverse",
             "silence", "1", "0.02", "0.5%", "reverse"],
            check=True,
        )  # fmt: skip


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    clips = {f"w_{key}": text for key, text in WORDS.items()}
    clips |= {f"n_{number}": text for number, text in NUMBERS.items()}
    clips |= {f"l_{ord(letter):04x}": text for letter, text in LETTERS.items()}
    for name, text in clips.items():
        speak(text, OUT / f"{name}.ogg")
    print(f"{len(clips)} clips in {OUT}")


if __name__ == "__main__":
    main()
