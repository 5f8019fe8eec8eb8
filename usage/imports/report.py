"""What an import did, or would do, or why it refused the file."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("created", "updated", "unchanged", "deleted")
UPSERT = ("created", "updated", "unchanged")


@dataclass(frozen=True, order=True)
class RowError:
    """One reason why the row on `line` (the file's own line / sheet row number) is bad."""

    line: int
    reason: str


@dataclass
class ImportReport:
    kind: str
    file_name: str
    dry_run: bool = False
    recompute: str = "now"
    rows: int = 0  # data rows read (blank lines are not rows)
    # Per kind of record ("partner", "team", "usage row", ...): action -> count.
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    row_errors: list[RowError] = field(default_factory=list)
    teams_affected: int = 0
    teams_recomputed: int | None = None  # None: no recompute ran or was queued
    recompute_error: str | None = None  # the import committed, its recompute failed
    batch_id: int | None = None

    # ----------------------------------------------------------------- recording

    def count(self, entity: str, action: str, n: int = 1) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        actions = self.counts.setdefault(entity, {})
        actions[action] = actions.get(action, 0) + n

    def touch(self, entity: str, actions: tuple[str, ...] = UPSERT) -> None:
        """Show these counts of `entity` in the report even when they stay 0."""
        counts = self.counts.setdefault(entity, {})
        for action in actions:
            counts.setdefault(action, 0)

    def error(self, line: int, reason: str) -> None:
        self.row_errors.append(RowError(line, reason))

    def note(self, text: str) -> None:
        self.notes.append(text)

    # ----------------------------------------------------------------- reading

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.row_errors

    def total(self, action: str) -> int:
        return sum(actions.get(action, 0) for actions in self.counts.values())

    @property
    def changed(self) -> bool:
        return any(self.total(a) for a in ("created", "updated", "deleted"))

    @property
    def bad_lines(self) -> list[tuple[int, list[str]]]:
        """Every bad line once, in file order, with all of its reasons."""
        reasons: dict[int, list[str]] = defaultdict(list)
        for error in sorted(self.row_errors, key=lambda e: e.line):  # reasons keep their order
            if error.reason not in reasons[error.line]:
                reasons[error.line].append(error.reason)
        return sorted(reasons.items())

    @property
    def count_items(self) -> list[tuple[str, str]]:
        """(kind of record, "3 created, 1 updated, 0 unchanged") in the order of the work."""
        return [
            (entity, ", ".join(f"{actions[a]} {a}" for a in ACTIONS if a in actions))
            for entity, actions in self.counts.items()
        ]

    def count_lines(self) -> list[str]:
        return [f"{entity}: {counts}" for entity, counts in self.count_items]

    @property
    def headline(self) -> str:
        if self.file_errors:
            return f"{self.file_name}: the file was refused; nothing was written."
        if self.row_errors:
            bad = len(self.bad_lines)
            return (
                f"{self.file_name}: {bad} bad row{'s' if bad != 1 else ''} of {self.rows}; "
                "nothing was written."
            )
        if self.dry_run:
            return f"{self.file_name}: dry run of {self.rows} rows; nothing was written."
        if not self.changed:
            return f"{self.file_name}: {self.rows} rows, all already imported; nothing changed."
        return f"{self.file_name}: imported {self.rows} rows."

    @property
    def recompute_line(self) -> str | None:
        if self.teams_recomputed is None:
            return None
        if self.recompute == "queue":
            return f"Flex recompute queued for {self.teams_recomputed} teams."
        return (
            f"Flex figures recomputed for {self.teams_recomputed} teams "
            f"({self.teams_affected} affected by the import; teams without packs have none)."
        )

    def format(self) -> str:
        """The report for a terminal."""
        out = [f"{self.kind} import — {self.headline}"]
        for error in self.file_errors:
            out.append(f"  error: {error}")
        if self.row_errors:
            out.append("Bad rows (line: reason):")
            for line, reasons in self.bad_lines:
                out.append(f"  line {line}: " + "; ".join(reasons))
        if self.ok:
            if self.dry_run:
                out.append("Would do:")
            out.extend(f"  {line}" for line in self.count_lines())
            out.extend(f"  {note}" for note in self.notes)
            if self.recompute_error:
                out.append(self.recompute_error)
            elif self.recompute_line:
                out.append(self.recompute_line)
            elif not self.dry_run and self.teams_affected:
                out.append(f"{self.teams_affected} teams need a Flex recompute (not run).")
        return "\n".join(out)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (ImportBatch.summary)."""
        return {
            "kind": self.kind,
            "file_name": self.file_name,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "counts": self.counts,
            "notes": self.notes,
            "teams_affected": self.teams_affected,
            "file_errors": self.file_errors,
            "row_errors": [[e.line, e.reason] for e in sorted(self.row_errors)],
        }
