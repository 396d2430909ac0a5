"""What the status bar says while notes are written: what is really done and what is in
progress ("Taking notes: 9 of 58 written, 5 in progress"), the prompts being read before the
next notes begin ("reading the next parts: 40%", which on a small computer can take a minute),
the time so far, and an estimate from the pace measured in this run ("· 2:31 so far, about 8 min
left")."""

from __future__ import annotations


def clock(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def estimate(elapsed_s: float, done: int, total: int) -> str:
    """About how long the rest takes at the pace so far ("" before anything is done)."""
    if done <= 0 or done >= total or elapsed_s <= 0:
        return ""
    left = elapsed_s / done * (total - done)
    if left < 60:
        return "less than a minute left"
    if left < 3600:
        return f"about {round(left / 60)} min left"
    return f"about {left / 3600:.1f} h left"


def notes_progress(
    phase: str,
    done: int,
    writing: int,
    total: int,
    elapsed_s: float,
    level: int = 0,
    reading: tuple[int, int] | None = None,
) -> str:
    """``reading``: prompt tokens of the next batch read so far, of how many (None: none)."""
    if phase == "map":
        head = f"Taking notes: {done} of {total} written"
    else:
        head = f"Merging notes (level {level}): {done} of {total} groups merged"
    if writing:
        head += f", {writing} in progress"
    if reading is not None and 0 <= reading[0] < reading[1]:
        what = "parts" if phase == "map" else "notes"
        head += f" · reading the next {what}: {reading[0] * 100 // reading[1]}%"
    if elapsed_s < 1:  # just begun: nothing measured yet
        return head
    left = estimate(elapsed_s, done, total)
    return f"{head} · {clock(elapsed_s)} so far" + (f", {left}" if left else "")
